// SPDX-License-Identifier: MIT
#include "search/search_page.h"

namespace trackwatch::ui {

SearchPage::SearchPage(core::DatabaseWorker* /*db*/, QWidget* parent)
    : QWidget(parent) {}

} // namespace trackwatch::ui
