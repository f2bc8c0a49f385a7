<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>trackwatch::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="15"/>
        <source>Trackwatch</source>
        <translation>Trackwatch</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="22"/>
        <source>Database: %1</source>
        <translation>Datenbank: %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="23"/>
        <source>Trackwatch — %1</source>
        <translation>Trackwatch — %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="24"/>
        <source>Engine running</source>
        <translation>Engine läuft</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="27"/>
        <source>Engine stopped: %1</source>
        <translation>Engine angehalten: %1</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::OverviewPage</name>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="23"/>
        <source>Tracked emails</source>
        <translation>Verfolgte E-Mails</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="25"/>
        <source>Ingestion since start</source>
        <translation>Aufnahme seit dem Start</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="27"/>
        <source>Engine</source>
        <translation>Engine</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="31"/>
        <source>Total</source>
        <translation>Gesamt</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="31"/>
        <source>Active (awaiting reply)</source>
        <translation>Aktiv (wartet auf Antwort)</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="32"/>
        <source>Replied</source>
        <translation>Beantwortet</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="32"/>
        <source>Bounced</source>
        <translation>Unzustellbar</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="33"/>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="33"/>
        <source>Emails / hour</source>
        <translation>E-Mails / Stunde</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="40"/>
        <source>Stored</source>
        <translation>Gespeichert</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="41"/>
        <source>Replies matched</source>
        <translation>Zugeordnete Antworten</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="42"/>
        <source>Replies waiting for parent</source>
        <translation>Wartende Antworten</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="43"/>
        <source>Auto-replies ignored</source>
        <translation>Automatische Antworten</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="44"/>
        <source>Bounces</source>
        <translation>Rückläufer</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="45"/>
        <source>Duplicates skipped</source>
        <translation>Duplikate</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="53"/>
        <source>Health</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="54"/>
        <source>Optimized paths</source>
        <translation>Optimierte Pfade</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="55"/>
        <source>Answered by legacy after a failure</source>
        <translation>Nach einem Fehler vom Altpfad beantwortet</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="56"/>
        <source>Query cache hit rate</source>
        <translation>Trefferquote des Abfrage-Caches</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="68"/>
        <source>Waiting for the engine…</source>
        <translation>Warte auf die Engine…</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="74"/>
        <source>healthy</source>
        <translation>gesund</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="75"/>
        <source>degraded</source>
        <translation>eingeschränkt</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="76"/>
        <source>unhealthy</source>
        <translation>gestört</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="92"/>
        <source>%1 of %2 closed</source>
        <translation>%1 von %2 geschlossen</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="107"/>
        <source>no lookups yet</source>
        <translation>noch keine Abfragen</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="108"/>
        <source>target 80 % · %1 entries</source>
        <translation>Ziel 80 % · %1 Einträge</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="145"/>
        <source>%1 % of all</source>
        <translation>%1 % von allen</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="151"/>
        <source>target %1</source>
        <translation>Ziel %1</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="156"/>
        <source>%1 after their parent landed</source>
        <translation>davon %1 nachträglich</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="165"/>
        <source>Ingestion: %1 · analytics refreshed by %2 · last update %3</source>
        <translation>Aufnahme: %1 · Auswertung aktualisiert durch %2 · letzte Aktualisierung %3</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="166"/>
        <source>batch</source>
        <translation>stapelweise</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="166"/>
        <source>legacy (row at a time)</source>
        <translation>klassisch (zeilenweise)</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="167"/>
        <source>pg_cron</source>
        <translation>pg_cron</translation>
    </message>
    <message>
        <location filename="../ui/pages/overview_page.cpp" line="167"/>
        <source>the engine</source>
        <translation>die Engine</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::ThroughputPlot</name>
    <message>
        <location filename="../ui/widgets/throughput_plot.cpp" line="32"/>
        <source>emails / hour</source>
        <translation>E-Mails / Stunde</translation>
    </message>
    <message>
        <location filename="../ui/widgets/throughput_plot.cpp" line="35"/>
        <source>Tracked emails per hour</source>
        <translation>Verfolgte E-Mails pro Stunde</translation>
    </message>
    <message>
        <location filename="../ui/widgets/throughput_plot.cpp" line="39"/>
        <source>Target 10,000 / hour</source>
        <translation>Ziel 10.000 / Stunde</translation>
    </message>
</context>
</TS>
