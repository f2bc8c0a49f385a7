// SPDX-License-Identifier: MIT
#include "loadtest/load_tester.h"
