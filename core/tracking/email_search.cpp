// SPDX-License-Identifier: MIT
#include "tracking/email_search.h"
