// SPDX-License-Identifier: MIT
#include "monitoring/process_stats.h"
