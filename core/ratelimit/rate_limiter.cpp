// SPDX-License-Identifier: MIT
#include "ratelimit/rate_limiter.h"
