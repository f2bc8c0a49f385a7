-- SPDX-License-Identifier: MIT
SELECT 1;
