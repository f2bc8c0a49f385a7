// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

class DashboardPage : public QWidget {
    Q_OBJECT
public:
    explicit DashboardPage(core::DatabaseWorker* db, QWidget* parent = nullptr);
};

} // namespace trackwatch::ui
