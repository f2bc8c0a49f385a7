// SPDX-License-Identifier: MIT
#include "webhooks/webhook_processor.h"
