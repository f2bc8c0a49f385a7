// SPDX-License-Identifier: MIT
#include "control/rollout_editor.h"

#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QTimer>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

RolloutEditor::RolloutEditor(const QString& name, bool readOnly, QWidget* parent)
    : QWidget(parent)
    , m_name(name)
    , m_value(new QLabel(this))
    , m_changed(new QLabel(this)) {
    setObjectName(u"rollout_"_s + name);
    auto* title = new QLabel(name, this);
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);
    m_value->setObjectName(u"value"_s);
    m_value->setFont(bold);
    m_changed->setForegroundRole(QPalette::PlaceholderText);

    auto* layout = new QGridLayout(this);
    layout->setContentsMargins(0, 4, 0, 4);
    layout->addWidget(title, 0, 0);
    layout->addWidget(m_value, 0, 1);
    layout->addWidget(m_changed, 0, 2, 1, 3);
    layout->setColumnStretch(2, 1);
    if (readOnly) {
        return;
    }
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(u"slider"_s);
    m_slider->setRange(0, 100);
    m_slider->setPageStep(10);
    m_slider->setTickPosition(QSlider::TicksBelow);
    m_slider->setTickInterval(10);
    m_slider->setAccessibleName(tr("%1 rollout percentage").arg(name));
    m_spin = new QSpinBox(this);
    m_spin->setObjectName(u"percentage"_s);
    m_spin->setRange(0, 100);
    m_spin->setSuffix(u" %"_s);
    m_spin->setAccessibleName(tr("%1 rollout percentage").arg(name));
    m_preview = new QLabel(this);
    m_preview->setObjectName(u"preview"_s);
    m_preview->setWordWrap(true);
    m_apply = new QPushButton(tr("Apply…"), this);
    m_apply->setObjectName(u"apply"_s);
    m_apply->setEnabled(false);
    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(kPreviewDelayMs);

    layout->addWidget(m_slider, 1, 0, 1, 3);
    layout->addWidget(m_spin, 1, 3);
    layout->addWidget(m_apply, 1, 4);
    layout->addWidget(m_preview, 2, 0, 1, 5);

    connect(m_slider, &QSlider::valueChanged, m_spin, &QSpinBox::setValue);
    connect(m_spin, &QSpinBox::valueChanged, m_slider, &QSlider::setValue);
    connect(m_spin, &QSpinBox::valueChanged, this, &RolloutEditor::proposedChanged);
    connect(m_debounce, &QTimer::timeout, this,
            [this] { emit previewRequested(m_name, proposed()); });
    connect(m_apply, &QPushButton::clicked, this,
            [this] { emit applyRequested(m_name, proposed()); });
}

int RolloutEditor::proposed() const {
    return m_spin != nullptr ? m_spin->value() : m_current;
}

void RolloutEditor::setValue(const core::RolloutValue& value) {
    const int before = m_current;
    m_current = value.percentage;
    m_value->setText(u"%1 %"_s.arg(value.percentage));
    m_changed->setText(value.isDefault
                           ? tr("the seed's starting percentage")
                           : tr("set by %1 at %2")
                                 .arg(value.updatedBy, value.updatedAt.toLocalTime().toString(
                                                           u"yyyy-MM-dd HH:mm:ss"_s)));
    if (m_spin == nullptr) {
        return;
    }
    // Follow the stored value unless a person is choosing another one right now.
    if (before < 0 || m_spin->value() == before) {
        const QSignalBlocker blockSpin(m_spin);
        const QSignalBlocker blockSlider(m_slider);
        m_spin->setValue(m_current);
        m_slider->setValue(m_current);
    }
    if (before != m_current) {
        proposedChanged(proposed());
    }
}

void RolloutEditor::proposedChanged(int percentage) {
    if (m_apply == nullptr) {
        return;
    }
    const bool changed = percentage != m_current;
    m_apply->setEnabled(changed);
    if (!changed) {
        m_debounce->stop();
        m_preview->setText(tr("No change."));
        return;
    }
    m_preview->setText(tr("Counting the accounts that %1 % would move…").arg(percentage));
    m_debounce->start();
}

void RolloutEditor::showPreview(int percentage, qint64 accounts) {
    if (m_preview == nullptr || percentage != proposed() || percentage == m_current) {
        return;
    }
    const QString direction =
        percentage > m_current ? tr("onto the optimized path") : tr("back to the legacy path");
    const QString moves = accounts == 1 ? tr("1 account moves %1.").arg(direction)
                                        : tr("%1 accounts move %2.").arg(accounts).arg(direction);
    m_preview->setText(tr("%1 % → %2 %:").arg(m_current).arg(percentage) + u" "_s + moves);
}

void RolloutEditor::showPreviewError(int percentage, const QString& message) {
    if (m_preview == nullptr || percentage != proposed()) {
        return;
    }
    m_preview->setText(tr("The preview failed: %1").arg(message));
}

} // namespace trackwatch::ui
