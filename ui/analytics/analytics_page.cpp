// SPDX-License-Identifier: MIT
#include "analytics/analytics_page.h"

namespace trackwatch::ui {

AnalyticsPage::AnalyticsPage(core::DatabaseWorker* /*db*/, QWidget* parent)
    : QWidget(parent) {}

} // namespace trackwatch::ui
