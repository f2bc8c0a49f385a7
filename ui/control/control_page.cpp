// SPDX-License-Identifier: MIT
#include "control/control_page.h"

namespace trackwatch::ui {

ControlPage::ControlPage(core::DatabaseWorker* /*db*/, QWidget* parent)
    : QWidget(parent) {}

} // namespace trackwatch::ui
