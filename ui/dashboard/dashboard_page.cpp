// SPDX-License-Identifier: MIT
#include "dashboard/dashboard_page.h"

namespace trackwatch::ui {

DashboardPage::DashboardPage(core::DatabaseWorker* /*db*/, QWidget* parent)
    : QWidget(parent) {}

} // namespace trackwatch::ui
