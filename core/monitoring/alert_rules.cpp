// SPDX-License-Identifier: MIT
#include "monitoring/alert_rules.h"
