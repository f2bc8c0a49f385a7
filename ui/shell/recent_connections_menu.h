// SPDX-License-Identifier: MIT
#pragma once

#include "storage/connection_spec.h"

#include <QMenu>

namespace trackwatch::ui {

// File → Open recent: the default database (trackwatch.db, the one trackwatchd and
// trackwatchctl use) and the console's demo database, always, then the connections opened
// lately (redacted: a password never reaches the settings). The current one is checked.
// Choosing an entry emits chosen(); the window decides what opening it means.
class RecentConnectionsMenu : public QMenu {
    Q_OBJECT
public:
    // dataDirectory: where trackwatch.db and trackwatch-demo.db live (empty: neither is listed).
    RecentConnectionsMenu(QString dataDirectory, QWidget* parent = nullptr);

    // Puts spec first in the stored list and checks it here.
    void remember(const core::ConnectionSpec& spec);

    // The stored list, newest first (redacted connection strings).
    static QStringList recent();

signals:
    void chosen(const trackwatch::core::ConnectionSpec& spec);

private:
    void rebuild();
    void addEntry(const QString& text, const QString& dsn, const QString& name);

    QString m_dataDirectory;
    QString m_current; // redacted
};

} // namespace trackwatch::ui
