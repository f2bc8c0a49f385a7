// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace trackwatch::ui {

// Asks why before a control change: every change is audited with its reason, so an empty one
// is refused (the action button stays disabled and Enter does nothing). Open it with open()
// and act on accepted(); cancelling changes nothing.
class ReasonDialog : public QDialog {
    Q_OBJECT
public:
    // `question` says what will happen ("Turn useOptimizedQueries off in every engine?"),
    // `action` is the button's text ("Turn off").
    ReasonDialog(const QString& title, const QString& question, const QString& action,
                 QWidget* parent = nullptr);

    QString reason() const; // trimmed
    QLineEdit* reasonEdit() const { return m_reason; }
    QPushButton* actionButton() const { return m_action; }

    void accept() override; // refuses an empty reason

private:
    void updateButton();

    QLineEdit* m_reason;
    QLabel* m_hint;
    QDialogButtonBox* m_buttons;
    QPushButton* m_action;
};

} // namespace trackwatch::ui
