// SPDX-License-Identifier: MIT
#pragma once

#include "control/control_plane.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;

namespace trackwatch::ui {

// One gradual rollout, as Unleash's admin UI shows a strategy: the current percentage and who
// set it, and (unless read-only) a slider and a spin box for a new one, a live preview of how
// many accounts the new percentage moves, and Apply. The editor only emits requests: the page
// runs the preview and the change through the database worker and reports back.
class RolloutEditor : public QWidget {
    Q_OBJECT
public:
    static constexpr int kPreviewDelayMs = 250; // the preview waits for the slider to rest

    RolloutEditor(const QString& name, bool readOnly, QWidget* parent = nullptr);

    const QString& name() const { return m_name; }
    int current() const { return m_current; }
    int proposed() const; // the percentage the controls show (the current one when read-only)

    // The stored value; the controls follow it unless a person is choosing another one.
    void setValue(const core::RolloutValue& value);
    // The answer to previewRequested(percentage); stale answers are ignored.
    void showPreview(int percentage, qint64 accounts);
    void showPreviewError(int percentage, const QString& message);

    QSlider* slider() const { return m_slider; }
    QSpinBox* spinBox() const { return m_spin; }
    QPushButton* applyButton() const { return m_apply; }
    QLabel* previewLabel() const { return m_preview; }

signals:
    void previewRequested(const QString& name, int percentage);
    void applyRequested(const QString& name, int percentage);

private:
    void proposedChanged(int percentage);

    QString m_name;
    int m_current = -1;
    QLabel* m_value;
    QLabel* m_changed;
    QSlider* m_slider = nullptr;
    QSpinBox* m_spin = nullptr;
    QLabel* m_preview = nullptr;
    QPushButton* m_apply = nullptr;
    QTimer* m_debounce = nullptr;
};

} // namespace trackwatch::ui
