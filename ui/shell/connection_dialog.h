// SPDX-License-Identifier: MIT
#pragma once

#include "storage/connection_spec.h"

#include <QDialog>

class QButtonGroup;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;
class QStackedWidget;

namespace trackwatch::ui {

// Where the console connects: a SQLite file, or a PostgreSQL server by host, port, database
// and user. The password is typed here for this session only; it is never written to the
// settings (recent connections keep the redacted form; libpq's ~/.pgpass and PGPASSWORD
// still work when the field is left empty).
class ConnectionDialog : public QDialog {
    Q_OBJECT
public:
    ConnectionDialog(const core::ConnectionSpec& current, const QStringList& recent,
                     QWidget* parent = nullptr);

    // What the fields say; invalid input gives an error naming the field.
    core::Result<core::ConnectionSpec> spec() const;

    void accept() override; // refuses to close on invalid input, with the reason shown

private:
    void showSpec(const core::ConnectionSpec& spec);
    void chooseFile();

    QRadioButton* m_sqlite;
    QRadioButton* m_postgres;
    QStackedWidget* m_stack;
    QLineEdit* m_path;
    QLineEdit* m_host;
    QSpinBox* m_port;
    QLineEdit* m_database;
    QLineEdit* m_user;
    QLineEdit* m_password;
    QComboBox* m_recent;
    QLabel* m_error;
};

} // namespace trackwatch::ui
