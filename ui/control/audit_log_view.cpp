// SPDX-License-Identifier: MIT
#include "control/audit_log_view.h"

#include "control/audit_log_model.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTableView>
#include <QVBoxLayout>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

AuditLogView::AuditLogView(QWidget* parent)
    : QWidget(parent)
    , m_model(new AuditLogModel(this))
    , m_target(new QLineEdit(this))
    , m_actor(new QLineEdit(this))
    , m_range(new QComboBox(this))
    , m_since(new QDateTimeEdit(this))
    , m_until(new QDateTimeEdit(this))
    , m_apply(new QPushButton(tr("Filter"), this))
    , m_clear(new QPushButton(tr("Clear"), this))
    , m_count(new QLabel(this))
    , m_table(new QTableView(this)) {
    setObjectName(u"auditLog"_s);
    m_target->setObjectName(u"auditTarget"_s);
    m_target->setPlaceholderText(tr("target, e.g. flag:* or breaker:queryCache"));
    m_target->setClearButtonEnabled(true);
    m_actor->setObjectName(u"auditActor"_s);
    m_actor->setPlaceholderText(tr("who (user or database role)"));
    m_actor->setClearButtonEnabled(true);
    m_range->setObjectName(u"auditRange"_s);
    m_range->addItem(tr("Any time"), AnyTime);
    m_range->addItem(tr("Last hour"), LastHour);
    m_range->addItem(tr("Last 24 hours"), LastDay);
    m_range->addItem(tr("Last 7 days"), LastWeek);
    m_range->addItem(tr("Between…"), Custom);
    const QDateTime now = QDateTime::currentDateTime();
    for (QDateTimeEdit* edit : {m_since, m_until}) {
        edit->setDisplayFormat(u"yyyy-MM-dd HH:mm"_s);
        edit->setCalendarPopup(true);
        edit->setVisible(false);
    }
    m_since->setObjectName(u"auditSince"_s);
    m_since->setDateTime(now.addDays(-1));
    m_until->setObjectName(u"auditUntil"_s);
    m_until->setDateTime(now.addSecs(3600));
    m_apply->setObjectName(u"auditFilter"_s);
    m_clear->setObjectName(u"auditClear"_s);
    m_count->setForegroundRole(QPalette::PlaceholderText);

    m_table->setObjectName(u"auditTable"_s);
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->setColumnWidth(AuditLogModel::Time, 150);
    m_table->setColumnWidth(AuditLogModel::Actor, 130);
    m_table->setColumnWidth(AuditLogModel::Action, 100);
    m_table->setColumnWidth(AuditLogModel::Target, 200);
    m_table->setColumnWidth(AuditLogModel::Before, 130);
    m_table->setColumnWidth(AuditLogModel::After, 130);

    auto* title = new QLabel(tr("Audit log"), this);
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);
    auto* filters = new QHBoxLayout;
    filters->addWidget(title);
    filters->addSpacing(12);
    filters->addWidget(m_target, 2);
    filters->addWidget(m_actor, 1);
    filters->addWidget(m_range);
    filters->addWidget(m_since);
    filters->addWidget(m_until);
    filters->addWidget(m_apply);
    filters->addWidget(m_clear);
    filters->addWidget(m_count);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(filters);
    layout->addWidget(m_table, 1);

    connect(m_apply, &QPushButton::clicked, this, &AuditLogView::filterChanged);
    connect(m_target, &QLineEdit::returnPressed, this, &AuditLogView::filterChanged);
    connect(m_actor, &QLineEdit::returnPressed, this, &AuditLogView::filterChanged);
    connect(m_range, &QComboBox::currentIndexChanged, this, [this] {
        const bool custom = m_range->currentData().toInt() == Custom;
        m_since->setVisible(custom);
        m_until->setVisible(custom);
        emit filterChanged();
    });
    connect(m_clear, &QPushButton::clicked, this, [this] {
        m_target->clear();
        m_actor->clear();
        {
            const QSignalBlocker block(m_range);
            m_range->setCurrentIndex(0);
        }
        m_since->setVisible(false);
        m_until->setVisible(false);
        emit filterChanged();
    });
}

core::AuditFilter AuditLogView::filter(const QDateTime& now) const {
    core::AuditFilter f;
    f.target = m_target->text().trimmed();
    f.actor = m_actor->text().trimmed();
    f.limit = kLimit;
    switch (m_range->currentData().toInt()) {
    case LastHour:
        f.since = now.addSecs(-3600);
        break;
    case LastDay:
        f.since = now.addDays(-1);
        break;
    case LastWeek:
        f.since = now.addDays(-7);
        break;
    case Custom:
        f.since = m_since->dateTime().toUTC();
        f.until = m_until->dateTime().toUTC();
        break;
    default:
        break;
    }
    return f;
}

void AuditLogView::setEntries(const QList<core::AuditEntry>& entries) {
    m_model->setEntries(entries);
    m_count->setText(entries.size() >= kLimit ? tr("newest %1 rows").arg(kLimit)
                     : entries.size() == 1    ? tr("1 row")
                                              : tr("%1 rows").arg(entries.size()));
}

void AuditLogView::showError(const QString& message) {
    m_count->setText(tr("not read: %1").arg(message));
}

} // namespace trackwatch::ui
