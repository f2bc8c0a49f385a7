// SPDX-License-Identifier: MIT
#include "cache/query_cache.h"
