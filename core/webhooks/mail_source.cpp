// SPDX-License-Identifier: MIT
#include "webhooks/mail_source.h"
