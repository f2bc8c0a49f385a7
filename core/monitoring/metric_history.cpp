// SPDX-License-Identifier: MIT
#include "monitoring/metric_history.h"
