// SPDX-License-Identifier: MIT
#include "ratelimit/rate_limit_store.h"
