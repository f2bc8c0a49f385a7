// SPDX-License-Identifier: MIT
#include "shell/recent_connections_menu.h"

#include "shell/database_choice.h"

#include <QSettings>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

constexpr int kRecentConnections = 8;
const QString kRecentKey = u"connections/recent"_s;

} // namespace

RecentConnectionsMenu::RecentConnectionsMenu(QString dataDirectory, QWidget* parent)
    : QMenu(tr("Open &recent"), parent)
    , m_dataDirectory(std::move(dataDirectory)) {
    setObjectName(u"openRecent"_s);
    // Another console may have added to the list meanwhile.
    connect(this, &QMenu::aboutToShow, this, &RecentConnectionsMenu::rebuild);
    rebuild();
}

QStringList RecentConnectionsMenu::recent() {
    return QSettings().value(kRecentKey).toStringList();
}

void RecentConnectionsMenu::remember(const core::ConnectionSpec& spec) {
    QSettings settings;
    QStringList list = recent();
    m_current = spec.redacted();
    list.removeAll(m_current);
    list.prepend(m_current);
    while (list.size() > kRecentConnections) {
        list.removeLast();
    }
    settings.setValue(kRecentKey, list);
    rebuild();
}

void RecentConnectionsMenu::rebuild() {
    clear();
    const QString defaultPath = DatabaseChoice::defaultPath(m_dataDirectory);
    const QString demoPath = DatabaseChoice::demoPath(m_dataDirectory);
    if (!m_dataDirectory.isEmpty()) {
        addEntry(tr("Default database — %1").arg(defaultPath), defaultPath, u"recent-default"_s);
        addEntry(tr("Demo database — %1").arg(demoPath), demoPath, u"recent-demo"_s);
    }
    int n = 0;
    for (const QString& dsn : recent()) {
        if (dsn == defaultPath || dsn == demoPath) {
            continue;
        }
        if (n == 0 && !actions().isEmpty()) {
            addSeparator();
        }
        addEntry(dsn, dsn, u"recent-%1"_s.arg(++n));
    }
}

void RecentConnectionsMenu::addEntry(const QString& text, const QString& dsn, const QString& name) {
    QAction* action = addAction(QString(text).replace(u'&', u"&&"_s)); // no mnemonic from a path
    action->setObjectName(name);
    action->setCheckable(true);
    action->setChecked(dsn == m_current);
    connect(action, &QAction::triggered, this, [this, dsn] {
        if (auto spec = core::ConnectionSpec::parse(dsn)) {
            // Later, not inside this action's signal: opening a database rebuilds the menu,
            // which deletes this action.
            QMetaObject::invokeMethod(
                this, [this, opened = *spec] { emit chosen(opened); }, Qt::QueuedConnection);
        }
    });
}

} // namespace trackwatch::ui
