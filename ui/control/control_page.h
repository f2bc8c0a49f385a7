// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

class ControlPage : public QWidget {
    Q_OBJECT
public:
    explicit ControlPage(core::DatabaseWorker* db, QWidget* parent = nullptr);
};

} // namespace trackwatch::ui
