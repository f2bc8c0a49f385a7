<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>trackwatch::ui::MainWindow</name>
    <message>
        <source>Trackwatch</source>
        <translation>Trackwatch</translation>
    </message>
    <message>
        <source>Database: %1</source>
        <translation>Datenbank: %1</translation>
    </message>
    <message>
        <source>Trackwatch — %1</source>
        <translation>Trackwatch — %1</translation>
    </message>
    <message>
        <source>Engine running</source>
        <translation>Engine läuft</translation>
    </message>
    <message>
        <source>Engine stopped: %1</source>
        <translation>Engine angehalten: %1</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::OverviewPage</name>
    <message>
        <source>Tracked emails</source>
        <translation>Verfolgte E-Mails</translation>
    </message>
    <message>
        <source>Ingestion since start</source>
        <translation>Aufnahme seit dem Start</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Gesamt</translation>
    </message>
    <message>
        <source>Active (awaiting reply)</source>
        <translation>Aktiv (wartet auf Antwort)</translation>
    </message>
    <message>
        <source>Replied</source>
        <translation>Beantwortet</translation>
    </message>
    <message>
        <source>Bounced</source>
        <translation>Unzustellbar</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <source>Emails / hour</source>
        <translation>E-Mails / Stunde</translation>
    </message>
    <message>
        <source>Stored</source>
        <translation>Gespeichert</translation>
    </message>
    <message>
        <source>Replies matched</source>
        <translation>Zugeordnete Antworten</translation>
    </message>
    <message>
        <source>Replies waiting for parent</source>
        <translation>Wartende Antworten</translation>
    </message>
    <message>
        <source>Auto-replies ignored</source>
        <translation>Automatische Antworten</translation>
    </message>
    <message>
        <source>Bounces</source>
        <translation>Rückläufer</translation>
    </message>
    <message>
        <source>Duplicates skipped</source>
        <translation>Duplikate</translation>
    </message>
    <message>
        <source>Waiting for the engine…</source>
        <translation>Warte auf die Engine…</translation>
    </message>
    <message>
        <source>%1 % of all</source>
        <translation>%1 % von allen</translation>
    </message>
    <message>
        <source>target %1</source>
        <translation>Ziel %1</translation>
    </message>
    <message>
        <source>%1 after their parent landed</source>
        <translation>davon %1 nachträglich</translation>
    </message>
    <message>
        <source>Ingestion: %1 · analytics refreshed by %2 · last update %3</source>
        <translation>Aufnahme: %1 · Auswertung aktualisiert durch %2 · letzte Aktualisierung %3</translation>
    </message>
    <message>
        <source>batch</source>
        <translation>stapelweise</translation>
    </message>
    <message>
        <source>legacy (row at a time)</source>
        <translation>klassisch (zeilenweise)</translation>
    </message>
    <message>
        <source>pg_cron</source>
        <translation>pg_cron</translation>
    </message>
    <message>
        <source>the engine</source>
        <translation>die Engine</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::ThroughputPlot</name>
    <message>
        <source>emails / hour</source>
        <translation>E-Mails / Stunde</translation>
    </message>
    <message>
        <source>Tracked emails per hour</source>
        <translation>Verfolgte E-Mails pro Stunde</translation>
    </message>
    <message>
        <source>Target 10,000 / hour</source>
        <translation>Ziel 10.000 / Stunde</translation>
    </message>
</context>
</TS>
