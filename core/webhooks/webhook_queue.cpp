// SPDX-License-Identifier: MIT
#include "webhooks/webhook_queue.h"
