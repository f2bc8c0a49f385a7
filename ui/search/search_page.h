// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

class SearchPage : public QWidget {
    Q_OBJECT
public:
    explicit SearchPage(core::DatabaseWorker* db, QWidget* parent = nullptr);
};

} // namespace trackwatch::ui
