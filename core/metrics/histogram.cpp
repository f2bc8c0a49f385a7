// SPDX-License-Identifier: MIT
#include "metrics/histogram.h"
