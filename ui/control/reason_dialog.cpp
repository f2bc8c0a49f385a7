// SPDX-License-Identifier: MIT
#include "control/reason_dialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

ReasonDialog::ReasonDialog(const QString& title, const QString& question, const QString& action,
                           QWidget* parent)
    : QDialog(parent)
    , m_reason(new QLineEdit(this))
    , m_hint(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
    , m_action(m_buttons->addButton(action, QDialogButtonBox::AcceptRole)) {
    setObjectName(u"reasonDialog"_s);
    setWindowTitle(title);
    setMinimumWidth(460);
    auto* text = new QLabel(question, this);
    text->setWordWrap(true);
    auto* label = new QLabel(tr("&Reason (who asked, why; it goes into the audit log):"), this);
    label->setBuddy(m_reason);
    m_reason->setObjectName(u"reason"_s);
    m_reason->setPlaceholderText(tr("e.g. p95 regression, INC-142"));
    m_hint->setText(tr("A reason is required."));
    m_hint->setForegroundRole(QPalette::PlaceholderText);
    m_action->setObjectName(u"confirm"_s);
    m_action->setDefault(true);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(text);
    layout->addSpacing(6);
    layout->addWidget(label);
    layout->addWidget(m_reason);
    layout->addWidget(m_hint);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &ReasonDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ReasonDialog::reject);
    connect(m_reason, &QLineEdit::textChanged, this, &ReasonDialog::updateButton);
    updateButton();
    m_reason->setFocus();
}

QString ReasonDialog::reason() const {
    return m_reason->text().trimmed();
}

void ReasonDialog::accept() {
    if (reason().isEmpty()) {
        m_hint->setText(tr("Type a reason first: every change is audited with one."));
        m_reason->setFocus();
        return;
    }
    QDialog::accept();
}

void ReasonDialog::updateButton() {
    const bool empty = reason().isEmpty();
    m_action->setEnabled(!empty);
    m_hint->setVisible(empty);
}

} // namespace trackwatch::ui
