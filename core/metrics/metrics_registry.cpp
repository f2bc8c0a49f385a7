// SPDX-License-Identifier: MIT
#include "metrics/metrics_registry.h"
