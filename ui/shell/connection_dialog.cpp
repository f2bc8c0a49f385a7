// SPDX-License-Identifier: MIT
#include "shell/connection_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace trackwatch::ui {

using core::ConnectionSpec;
using core::Dialect;
using namespace Qt::StringLiterals;

ConnectionDialog::ConnectionDialog(const ConnectionSpec& current, const QStringList& recent,
                                   QWidget* parent)
    : QDialog(parent)
    , m_sqlite(new QRadioButton(tr("SQLite file (embedded)"), this))
    , m_postgres(new QRadioButton(tr("PostgreSQL server"), this))
    , m_stack(new QStackedWidget(this))
    , m_path(new QLineEdit(this))
    , m_host(new QLineEdit(this))
    , m_port(new QSpinBox(this))
    , m_database(new QLineEdit(this))
    , m_user(new QLineEdit(this))
    , m_password(new QLineEdit(this))
    , m_recent(new QComboBox(this))
    , m_error(new QLabel(this)) {
    setWindowTitle(tr("Connect to a database"));
    setObjectName(u"connectionDialog"_s);
    m_path->setObjectName(u"path"_s);
    m_host->setObjectName(u"host"_s);
    m_port->setObjectName(u"port"_s);
    m_database->setObjectName(u"database"_s);
    m_user->setObjectName(u"user"_s);
    m_password->setObjectName(u"password"_s);
    m_recent->setObjectName(u"recent"_s);
    m_sqlite->setObjectName(u"sqlite"_s);
    m_postgres->setObjectName(u"postgresql"_s);

    m_recent->addItem(tr("Recent connections…"));
    for (const QString& dsn : recent) {
        m_recent->addItem(dsn, dsn);
    }
    m_recent->setEnabled(!recent.isEmpty());
    connect(m_recent, &QComboBox::activated, this, [this](int index) {
        if (auto parsed = ConnectionSpec::parse(m_recent->itemData(index).toString())) {
            showSpec(*parsed);
        }
    });

    auto* sqlitePage = new QWidget(m_stack);
    auto* sqliteForm = new QFormLayout(sqlitePage);
    auto* pathRow = new QHBoxLayout;
    auto* browse = new QPushButton(tr("Browse…"), sqlitePage);
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    sqliteForm->addRow(tr("File:"), pathRow);
    connect(browse, &QPushButton::clicked, this, &ConnectionDialog::chooseFile);

    auto* pgPage = new QWidget(m_stack);
    auto* pgForm = new QFormLayout(pgPage);
    m_port->setRange(1, 65535);
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(tr("not saved; empty uses ~/.pgpass"));
    pgForm->addRow(tr("Host:"), m_host);
    pgForm->addRow(tr("Port:"), m_port);
    pgForm->addRow(tr("Database:"), m_database);
    pgForm->addRow(tr("User:"), m_user);
    pgForm->addRow(tr("Password:"), m_password);
    m_stack->addWidget(sqlitePage);
    m_stack->addWidget(pgPage);
    connect(m_postgres, &QRadioButton::toggled, this,
            [this](bool on) { m_stack->setCurrentIndex(on ? 1 : 0); });

    m_error->setWordWrap(true);
    m_error->setObjectName(u"error"_s);
    m_error->setStyleSheet(u"color: #c0392b;"_s);
    m_error->hide();

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectionDialog::reject);

    auto* kinds = new QHBoxLayout;
    kinds->addWidget(m_sqlite);
    kinds->addWidget(m_postgres);
    kinds->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_recent);
    layout->addLayout(kinds);
    layout->addWidget(m_stack);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    showSpec(current);
    resize(480, sizeHint().height());
}

void ConnectionDialog::showSpec(const ConnectionSpec& spec) {
    const bool pg = spec.dialect == Dialect::PostgreSql;
    (pg ? m_postgres : m_sqlite)->setChecked(true);
    m_stack->setCurrentIndex(pg ? 1 : 0);
    if (pg) {
        m_host->setText(spec.host);
        m_port->setValue(spec.port);
        m_database->setText(spec.database);
        m_user->setText(spec.user);
        m_password->setText(spec.password);
    } else {
        m_path->setText(spec.path);
        m_host->setText(u"127.0.0.1"_s);
        m_port->setValue(5432);
    }
}

void ConnectionDialog::chooseFile() {
    const QString file = QFileDialog::getSaveFileName(this, tr("SQLite database"), m_path->text(),
                                                      tr("SQLite databases (*.db *.sqlite)"),
                                                      nullptr, QFileDialog::DontConfirmOverwrite);
    if (!file.isEmpty()) {
        m_path->setText(file);
    }
}

core::Result<ConnectionSpec> ConnectionDialog::spec() const {
    ConnectionSpec spec;
    if (m_sqlite->isChecked()) {
        if (m_path->text().trimmed().isEmpty()) {
            return core::Result<ConnectionSpec>::failure(core::ErrorCode::InvalidArgument,
                                                         tr("Choose a database file."));
        }
        return ConnectionSpec::parse(m_path->text().trimmed());
    }
    spec.dialect = Dialect::PostgreSql;
    spec.host = m_host->text().trimmed();
    spec.port = m_port->value();
    spec.database = m_database->text().trimmed();
    spec.user = m_user->text().trimmed();
    spec.password = m_password->text();
    if (spec.host.isEmpty() || spec.database.isEmpty() || spec.user.isEmpty()) {
        return core::Result<ConnectionSpec>::failure(core::ErrorCode::InvalidArgument,
                                                     tr("Host, database and user are all needed."));
    }
    return spec;
}

void ConnectionDialog::accept() {
    const auto result = spec();
    if (!result) {
        m_error->setText(result.error().message);
        m_error->show();
        return;
    }
    QDialog::accept();
}

} // namespace trackwatch::ui
