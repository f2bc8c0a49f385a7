<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>trackwatch::ui::AnalyticsPage</name>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="71"/>
        <source>All accounts</source>
        <translation>Alle Konten</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="76"/>
        <source>Last 24 hours</source>
        <translation>Letzte 24 Stunden</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="77"/>
        <source>Last 7 days</source>
        <translation>Letzte 7 Tage</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="78"/>
        <source>Last 30 days</source>
        <translation>Letzte 30 Tage</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="79"/>
        <source>Last 90 days</source>
        <translation>Letzte 90 Tage</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="81"/>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="88"/>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="91"/>
        <source>Range</source>
        <translation>Zeitraum</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="97"/>
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="98"/>
        <source>Replied</source>
        <translation>Beantwortet</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="99"/>
        <source>Bounced</source>
        <translation>Unzustellbar</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="100"/>
        <location filename="../ui/analytics/analytics_page.cpp" line="110"/>
        <source>Reply rate</source>
        <translation>Antwortquote</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="101"/>
        <source>Median</source>
        <translation>Median</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="102"/>
        <source>P90</source>
        <translation>P90</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="104"/>
        <source>Emails per hour</source>
        <translation>E-Mails pro Stunde</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="104"/>
        <source>emails</source>
        <translation>E-Mails</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="110"/>
        <source>%</source>
        <translation>%</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="115"/>
        <source>Time to reply</source>
        <translation>Antwortzeit</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="115"/>
        <source>minutes</source>
        <translation>Minuten</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="173"/>
        <source>Custom range</source>
        <translation>Benutzerdefinierter Zeitraum</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="279"/>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="291"/>
        <source>Cannot load analytics: %1</source>
        <translation>Auswertung kann nicht geladen werden: %1</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="364"/>
        <source>No email was sent in this range.</source>
        <translation>In diesem Zeitraum wurde keine E-Mail gesendet.</translation>
    </message>
    <message>
        <location filename="../ui/analytics/analytics_page.cpp" line="365"/>
        <source>Sent %1 · replied %2 (%3%) · bounced %4 · expired %5</source>
        <translation>Gesendet %1 · beantwortet %2 (%3 %) · unzustellbar %4 · abgelaufen %5</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::AuditLogModel</name>
    <message>
        <location filename="../ui/control/audit_log_model.cpp" line="70"/>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_model.cpp" line="72"/>
        <source>Who</source>
        <translation>Wer</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_model.cpp" line="74"/>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_model.cpp" line="76"/>
        <source>Target</source>
        <translation>Ziel</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_model.cpp" line="78"/>
        <source>Before</source>
        <translation>Vorher</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_model.cpp" line="80"/>
        <source>After</source>
        <translation>Nachher</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_model.cpp" line="82"/>
        <source>Reason</source>
        <translation>Grund</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::AuditLogView</name>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="29"/>
        <source>Filter</source>
        <translation>Filtern</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="30"/>
        <source>Clear</source>
        <translation>Zurücksetzen</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="35"/>
        <source>target, e.g. flag:* or breaker:queryCache</source>
        <translation>Ziel, z. B. flag:* oder breaker:queryCache</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="38"/>
        <source>who (user or database role)</source>
        <translation>wer (Benutzer oder Datenbankrolle)</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="41"/>
        <source>Any time</source>
        <translation>Gesamter Zeitraum</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="42"/>
        <source>Last hour</source>
        <translation>Letzte Stunde</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="43"/>
        <source>Last 24 hours</source>
        <translation>Letzte 24 Stunden</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="44"/>
        <source>Last 7 days</source>
        <translation>Letzte 7 Tage</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="45"/>
        <source>Between…</source>
        <translation>Zwischen…</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="76"/>
        <source>Audit log</source>
        <translation>Audit-Log</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="145"/>
        <source>newest %1 rows</source>
        <translation>neueste %1 Zeilen</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="146"/>
        <source>1 row</source>
        <translation>1 Zeile</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="147"/>
        <source>%1 rows</source>
        <translation>%1 Zeilen</translation>
    </message>
    <message>
        <location filename="../ui/control/audit_log_view.cpp" line="151"/>
        <source>not read: %1</source>
        <translation>nicht gelesen: %1</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::BreakerTile</name>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="73"/>
        <source>Trip…</source>
        <translation>Auslösen…</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="75"/>
        <source>Force the breaker open: every engine uses the legacy path</source>
        <translation>Breaker zwangsweise öffnen: Alle Engines nutzen den Altpfad</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="76"/>
        <source>Reset…</source>
        <translation>Zurücksetzen…</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="78"/>
        <source>Close the breaker again: engines use the optimized path</source>
        <translation>Breaker wieder schließen: Die Engines nutzen den optimierten Pfad</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="92"/>
        <source>closed</source>
        <translation>geschlossen</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="95"/>
        <source>open</source>
        <translation>offen</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="98"/>
        <source>half-open</source>
        <translation>halb offen</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="101"/>
        <source>forced open</source>
        <translation>erzwungen offen</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="104"/>
        <source>disabled</source>
        <translation>deaktiviert</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="129"/>
        <source>%1: %2 by %3</source>
        <translation>%1: %2 durch %3</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="144"/>
        <source>%1: %2 in engine %3</source>
        <translation>%1: %2 in Engine %3</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="147"/>
        <source>%1  %2 · %3 failures in a row · %4 of %5 recent calls failed</source>
        <translation>%1  %2 · %3 Fehler in Folge · %4 von %5 letzten Aufrufen fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="165"/>
        <source>Tripped by %1: %2</source>
        <translation>Ausgelöst von %1: %2</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="167"/>
        <source>Shared state %1 (set by %2: %3)</source>
        <translation>Gemeinsamer Zustand: %1 (gesetzt von %2: %3)</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="170"/>
        <source>Shared state %1</source>
        <translation>Gemeinsamer Zustand: %1</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="179"/>
        <source>1 engine: %1</source>
        <translation>1 Engine: %1</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="180"/>
        <source>%1 engines: %2</source>
        <translation>%1 Engines: %2</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="181"/>
        <source>No running engine reports this breaker.</source>
        <translation>Keine laufende Engine meldet diesen Breaker.</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="183"/>
        <source>No transition yet.</source>
        <translation>Noch kein Zustandswechsel.</translation>
    </message>
    <message>
        <location filename="../ui/control/breaker_tile.cpp" line="183"/>
        <source>Last transition %1</source>
        <translation>Letzter Zustandswechsel: %1</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::ConnectionDialog</name>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="26"/>
        <source>SQLite file (embedded)</source>
        <translation>SQLite-Datei (eingebettet)</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="27"/>
        <source>PostgreSQL server</source>
        <translation>PostgreSQL-Server</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="37"/>
        <source>Connect to a database</source>
        <translation>Mit einer Datenbank verbinden</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="49"/>
        <source>Recent connections…</source>
        <translation>Letzte Verbindungen…</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="63"/>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="66"/>
        <source>File:</source>
        <translation>Datei:</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="73"/>
        <source>not saved; empty uses ~/.pgpass</source>
        <translation>wird nicht gespeichert; leer: ~/.pgpass</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="74"/>
        <source>Host:</source>
        <translation>Host:</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="75"/>
        <source>Port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="76"/>
        <source>Database:</source>
        <translation>Datenbank:</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="77"/>
        <source>User:</source>
        <translation>Benutzer:</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="78"/>
        <source>Password:</source>
        <translation>Passwort:</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="90"/>
        <source>Connect</source>
        <translation>Verbinden</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="126"/>
        <source>SQLite database</source>
        <translation>SQLite-Datenbank</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="127"/>
        <source>SQLite databases (*.db *.sqlite)</source>
        <translation>SQLite-Datenbanken (*.db *.sqlite)</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="139"/>
        <source>Choose a database file.</source>
        <translation>Wählen Sie eine Datenbankdatei.</translation>
    </message>
    <message>
        <location filename="../ui/shell/connection_dialog.cpp" line="151"/>
        <source>Host, database and user are all needed.</source>
        <translation>Host, Datenbank und Benutzer sind erforderlich.</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::ControlPage</name>
    <message>
        <location filename="../ui/control/control_page.cpp" line="70"/>
        <source>Control</source>
        <translation>Steuerung</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="86"/>
        <source>Roll forward…</source>
        <translation>Roll-forward…</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="89"/>
        <source>Restore the flags as they were before the rollback</source>
        <translation>Die Flags so wiederherstellen, wie sie vor dem Rollback waren</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="90"/>
        <source>Emergency rollback…</source>
        <translation>Notfall-Rollback…</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="92"/>
        <source>Turn every optimization off in every engine</source>
        <translation>Alle Optimierungen in allen Engines abschalten</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="120"/>
        <source>Feature flags</source>
        <translation>Feature-Flags</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="126"/>
        <source>Gradual rollout</source>
        <translation>Schrittweiser Rollout</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="131"/>
        <source>Circuit breakers</source>
        <translation>Circuit Breaker</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="319"/>
        <source>Rollback in force since %1, by %2: %3. Every optimization flag is off in every engine until someone rolls forward.</source>
        <translation>Rollback aktiv seit %1, durch %2: %3. Alle Optimierungs-Flags sind in allen Engines aus, bis jemand einen Roll-forward ausführt.</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="337"/>
        <source>1 engine running, %1 on this version</source>
        <translation>1 Engine läuft, %1 auf dieser Version</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="338"/>
        <source>%1 engines running, %2 on this version</source>
        <translation>%1 Engines laufen, %2 auf dieser Version</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="339"/>
        <source>control version %1</source>
        <translation>Steuerungsversion %1</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="340"/>
        <source>read-only</source>
        <translation>schreibgeschützt</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="359"/>
        <source>%1 enabled</source>
        <translation>%1 aktiviert</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="370"/>
        <source>Clear override…</source>
        <translation>Überschreibung aufheben…</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="372"/>
        <source>Remove the override: the environment&apos;s value or the default applies again</source>
        <translation>Überschreibung entfernen: Es gilt wieder der Wert aus der Umgebung oder der Standardwert</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="379"/>
        <location filename="../ui/control/control_page.cpp" line="391"/>
        <source>Off</source>
        <translation>Aus</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="391"/>
        <source>On</source>
        <translation>An</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="401"/>
        <source>The control state cannot be read from the database: %1
The page shows what was last read and tries again every second; changes made now are refused as a whole.</source>
        <translation>Der Steuerungszustand kann nicht aus der Datenbank gelesen werden: %1
Die Seite zeigt den zuletzt gelesenen Stand und versucht es jede Sekunde erneut; jetzt vorgenommene Änderungen werden vollständig abgelehnt.</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="427"/>
        <source>Saving: %1…</source>
        <translation>Wird gespeichert: %1…</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="436"/>
        <source>Not changed (%1): %2</source>
        <translation>Nicht geändert (%1): %2</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="439"/>
        <source>Done: %1. Every engine applies it within a second.</source>
        <translation>Erledigt: %1. Alle Engines übernehmen die Änderung innerhalb einer Sekunde.</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="454"/>
        <source>Turn a flag on</source>
        <translation>Flag einschalten</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="454"/>
        <source>Turn a flag off</source>
        <translation>Flag ausschalten</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="455"/>
        <source>Turn %1 on in every engine sharing this database? It stays an override until someone clears it.</source>
        <translation>%1 in allen Engines dieser Datenbank einschalten? Die Überschreibung bleibt bestehen, bis jemand sie aufhebt.</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="458"/>
        <source>Turn %1 off in every engine sharing this database? It stays an override until someone clears it.</source>
        <translation>%1 in allen Engines dieser Datenbank ausschalten? Die Überschreibung bleibt bestehen, bis jemand sie aufhebt.</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="461"/>
        <source>Turn on</source>
        <translation>Einschalten</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="461"/>
        <source>Turn off</source>
        <translation>Ausschalten</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="462"/>
        <source>%1 turned on</source>
        <translation>%1 eingeschaltet</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="462"/>
        <source>%1 turned off</source>
        <translation>%1 ausgeschaltet</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="474"/>
        <source>Clear an override</source>
        <translation>Überschreibung aufheben</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="475"/>
        <source>Clear the override of %1? The environment&apos;s value or the default applies again in every engine.</source>
        <translation>Überschreibung von %1 aufheben? In allen Engines gilt dann wieder der Wert aus der Umgebung oder der Standardwert.</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="478"/>
        <source>Clear override</source>
        <translation>Überschreibung aufheben</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="478"/>
        <source>override of %1 cleared</source>
        <translation>Überschreibung von %1 aufgehoben</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="486"/>
        <source>Change a rollout</source>
        <translation>Rollout ändern</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="487"/>
        <source>Set the %1 rollout from %2 % to %3 %? %4</source>
        <translation>Rollout %1 von %2 % auf %3 % setzen? %4</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="492"/>
        <source>Apply</source>
        <translation>Übernehmen</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="492"/>
        <source>%1 rollout set to %2 %</source>
        <translation>Rollout %1 auf %2 % gesetzt</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="518"/>
        <source>Trip a circuit breaker</source>
        <translation>Circuit Breaker auslösen</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="519"/>
        <source>Trip the %1 breaker? Every engine bypasses the optimized path for its legacy twin until someone resets it.</source>
        <translation>Breaker %1 auslösen? Alle Engines umgehen den optimierten Pfad und nutzen den Altpfad, bis jemand den Breaker zurücksetzt.</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="522"/>
        <source>Trip</source>
        <translation>Auslösen</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="522"/>
        <source>%1 breaker tripped</source>
        <translation>Breaker %1 ausgelöst</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="529"/>
        <source>Reset a circuit breaker</source>
        <translation>Circuit Breaker zurücksetzen</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="530"/>
        <source>Reset the %1 breaker? Every engine closes it and uses the optimized path again.</source>
        <translation>Breaker %1 zurücksetzen? Alle Engines schließen ihn und nutzen wieder den optimierten Pfad.</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="533"/>
        <source>Reset</source>
        <translation>Zurücksetzen</translation>
    </message>
    <message>
        <location filename="../ui/control/control_page.cpp" line="533"/>
        <source>%1 breaker reset</source>
        <translation>Breaker %1 zurückgesetzt</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::DashboardPage</name>
    <message numerus="yes">
        <location filename="../ui/dashboard/dashboard_page.cpp" line="56"/>
        <source>%n s</source>
        <translation>
            <numerusform>%n s</numerusform>
            <numerusform>%n s</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/dashboard/dashboard_page.cpp" line="59"/>
        <source>%n min</source>
        <translation>
            <numerusform>%n min</numerusform>
            <numerusform>%n min</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="62"/>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/dashboard/dashboard_page.cpp" line="64"/>
        <source>%n day(s)</source>
        <translation>
            <numerusform>%n Tag</numerusform>
            <numerusform>%n Tagen</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="69"/>
        <source>Flag set</source>
        <translation>Flag gesetzt</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="72"/>
        <source>Flag override cleared</source>
        <translation>Flag-Überschreibung aufgehoben</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="75"/>
        <source>Rollout changed</source>
        <translation>Rollout geändert</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="78"/>
        <source>Breaker tripped</source>
        <translation>Breaker ausgelöst</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="81"/>
        <source>Breaker reset</source>
        <translation>Breaker zurückgesetzt</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="84"/>
        <source>Rollback</source>
        <translation>Rollback</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="87"/>
        <source>Roll-forward</source>
        <translation>Roll-forward</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="110"/>
        <source>healthy</source>
        <translation>gesund</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="111"/>
        <source>degraded</source>
        <translation>eingeschränkt</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="112"/>
        <source>unhealthy</source>
        <translation>gestört</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="162"/>
        <source>&amp;Engine:</source>
        <translation>&amp;Engine:</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="166"/>
        <source>This engine (live)</source>
        <translation>Diese Engine (live)</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="167"/>
        <source>Whole fleet</source>
        <translation>Gesamte Flotte</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="169"/>
        <source>&amp;Range:</source>
        <translation>&amp;Zeitraum:</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="172"/>
        <source>Last 5 minutes</source>
        <translation>Letzte 5 Minuten</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="173"/>
        <source>Last hour</source>
        <translation>Letzte Stunde</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="174"/>
        <source>Last 24 hours</source>
        <translation>Letzte 24 Stunden</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="175"/>
        <source>Custom…</source>
        <translation>Benutzerdefiniert…</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="184"/>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="185"/>
        <source>To</source>
        <translation>Bis</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="186"/>
        <source>Show</source>
        <translation>Anzeigen</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="191"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="466"/>
        <source>Pause</source>
        <translation>Pausieren</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="192"/>
        <source>Stop following live data (dragging or zooming a plot does too); click again to follow live</source>
        <translation>Live-Daten nicht mehr folgen (auch Ziehen oder Zoomen in einem Diagramm hält an); erneut klicken, um wieder live zu folgen</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="215"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="259"/>
        <source>Emails / hour</source>
        <translation>E-Mails / Stunde</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="216"/>
        <source>target ≥ %1</source>
        <translation>Ziel ≥ %1</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="217"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="260"/>
        <source>Webhook jobs / minute</source>
        <translation>Webhook-Jobs / Minute</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="218"/>
        <source>peak target ≥ %1</source>
        <translation>Spitzenziel ≥ %1</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="219"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="265"/>
        <source>Cache hit rate</source>
        <translation>Cache-Trefferquote</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="220"/>
        <source>target ≥ %1 %</source>
        <translation>Ziel ≥ %1 %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="221"/>
        <source>Query latency P95</source>
        <translation>Abfragelatenz P95</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="222"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="224"/>
        <source>target ≤ %1 ms</source>
        <translation>Ziel ≤ %1 ms</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="223"/>
        <source>API latency P95</source>
        <translation>API-Latenz P95</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="225"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="280"/>
        <source>Error rate</source>
        <translation>Fehlerrate</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="226"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="230"/>
        <source>target ≤ %1 %</source>
        <translation>Ziel ≤ %1 %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="227"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="283"/>
        <source>Webhook queue depth</source>
        <translation>Webhook-Warteschlangenlänge</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="228"/>
        <source>target ≤ %1</source>
        <translation>Ziel ≤ %1</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="229"/>
        <source>CPU (one core = 100 %)</source>
        <translation>CPU (ein Kern = 100 %)</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="231"/>
        <source>Memory (resident)</source>
        <translation>Speicher (resident)</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="231"/>
        <source>should stay stable</source>
        <translation>sollte stabil bleiben</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="232"/>
        <source>Health</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="240"/>
        <source>Firing alerts (this engine)</source>
        <translation>Aktive Alarme (diese Engine)</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="258"/>
        <source>Throughput</source>
        <translation>Durchsatz</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="258"/>
        <source>emails / hour</source>
        <translation>E-Mails / Stunde</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="261"/>
        <source>Target %1 / hour</source>
        <translation>Ziel %1 / Stunde</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="263"/>
        <source>Peak target %1 jobs / minute</source>
        <translation>Spitzenziel %1 Jobs / Minute</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="264"/>
        <source>jobs / minute</source>
        <translation>Jobs / Minute</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="265"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="280"/>
        <source>%</source>
        <translation>%</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="266"/>
        <source>Hit rate %</source>
        <translation>Trefferquote %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="267"/>
        <source>Target 80 %</source>
        <translation>Ziel 80 %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="269"/>
        <source>Query latency</source>
        <translation>Abfragelatenz</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="269"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="274"/>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="270"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="275"/>
        <source>P50</source>
        <translation>P50</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="271"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="276"/>
        <source>P95</source>
        <translation>P95</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="272"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="277"/>
        <source>P99</source>
        <translation>P99</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="273"/>
        <source>Target P95 100 ms</source>
        <translation>Ziel P95 100 ms</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="274"/>
        <source>API latency</source>
        <translation>API-Latenz</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="278"/>
        <source>Target P95 200 ms</source>
        <translation>Ziel P95 200 ms</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="279"/>
        <source>Target P99 500 ms</source>
        <translation>Ziel P99 500 ms</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="281"/>
        <source>Failed operations %</source>
        <translation>Fehlgeschlagene Operationen %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="282"/>
        <source>Target 1 %</source>
        <translation>Ziel 1 %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="283"/>
        <source>jobs</source>
        <translation>Jobs</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="284"/>
        <source>Queued or running</source>
        <translation>Wartend oder laufend</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="285"/>
        <source>Target ≤ 200</source>
        <translation>Ziel ≤ 200</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="286"/>
        <source>Engine CPU</source>
        <translation>Engine-CPU</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="286"/>
        <source>% of one core</source>
        <translation>% eines Kerns</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="287"/>
        <source>CPU %</source>
        <translation>CPU %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="288"/>
        <source>Target &lt; 50 %</source>
        <translation>Ziel &lt; 50 %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="289"/>
        <source>Engine memory</source>
        <translation>Engine-Speicher</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="289"/>
        <source>MiB</source>
        <translation>MiB</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="290"/>
        <source>Resident MiB</source>
        <translation>Resident MiB</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="302"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="906"/>
        <source>Waiting for the engine…</source>
        <translation>Warte auf die Engine…</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="443"/>
        <source>The custom range needs a start before its end.</source>
        <translation>Beim benutzerdefinierten Zeitraum muss der Beginn vor dem Ende liegen.</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="466"/>
        <source>Follow live</source>
        <translation>Live folgen</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="467"/>
        <source>Paused</source>
        <translation>Pausiert</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="467"/>
        <source>Following live</source>
        <translation>Live</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="644"/>
        <source>Stored history unavailable: %1</source>
        <translation>Gespeicherter Verlauf nicht verfügbar: %1</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="730"/>
        <source>Audit log unavailable: %1</source>
        <translation>Audit-Log nicht verfügbar: %1</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="758"/>
        <source>%1 %2: %3 → %4</source>
        <translation>%1 %2: %3 → %4</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="760"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="761"/>
        <source>(none)</source>
        <translation>(kein Wert)</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="771"/>
        <source>%1 — by %2, reason: %3
%4</source>
        <translation>%1 — von %2, Grund: %3
%4</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="801"/>
        <source>Engine list unavailable: %1</source>
        <translation>Engine-Liste nicht verfügbar: %1</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="818"/>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="819"/>
        <source>stopped</source>
        <translation>angehalten</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="820"/>
        <source>gone</source>
        <translation>verschwunden</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="822"/>
        <source>%1 on %2 (pid %3, %4)</source>
        <translation>%1 auf %2 (PID %3, %4)</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="844"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="945"/>
        <source>–</source>
        <translation>–</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="854"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="860"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="863"/>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="856"/>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="858"/>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="887"/>
        <source>critical</source>
        <translation>kritisch</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="887"/>
        <source>warning</source>
        <translation>Warnung</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="888"/>
        <source>%1 · %2 · firing for %3
%4</source>
        <translation>%1 · %2 · aktiv seit %3
%4</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="905"/>
        <source>No alert is firing.</source>
        <translation>Kein Alarm aktiv.</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="941"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/dashboard_page.cpp" line="947"/>
        <source>no engine running</source>
        <translation>keine Engine läuft</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::FlagTableModel</name>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="46"/>
        <source>default</source>
        <translation>Standard</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="48"/>
        <source>environment</source>
        <translation>Umgebung</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="50"/>
        <source>override</source>
        <translation>Überschreibung</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="52"/>
        <source>rollback</source>
        <translation>Rollback</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="83"/>
        <source>On</source>
        <translation>An</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="83"/>
        <source>Off</source>
        <translation>Aus</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="115"/>
        <source>Flag</source>
        <translation>Flag</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="117"/>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="119"/>
        <source>Source</source>
        <translation>Quelle</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="121"/>
        <source>Changed by</source>
        <translation>Geändert von</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="123"/>
        <source>Changed at</source>
        <translation>Geändert am</translation>
    </message>
    <message>
        <location filename="../ui/control/flag_table_model.cpp" line="125"/>
        <source>Override</source>
        <translation>Überschreibung</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="41"/>
        <source>Dashboard</source>
        <translation>Dashboard</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="43"/>
        <source>Control</source>
        <translation>Steuerung</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="45"/>
        <source>Search</source>
        <translation>Suche</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="47"/>
        <source>Analytics</source>
        <translation>Auswertung</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="90"/>
        <source>Trackwatch</source>
        <translation>Trackwatch</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="102"/>
        <source>%1 (Ctrl+%2)</source>
        <translation>%1 (Ctrl+%2)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="115"/>
        <source>Retry</source>
        <translation>Erneut versuchen</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="143"/>
        <source>Read-only</source>
        <translation>Schreibgeschützt</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="145"/>
        <source>Support mode: nothing can be changed from this console.</source>
        <translation>Support-Modus: In dieser Konsole kann nichts geändert werden.</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="161"/>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="162"/>
        <source>&amp;Connect…</source>
        <translation>&amp;Verbinden…</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="168"/>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="171"/>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="180"/>
        <source>&amp;Theme</source>
        <translation>&amp;Design</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="185"/>
        <source>System</source>
        <translation>System</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="185"/>
        <source>Light</source>
        <translation>Hell</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="185"/>
        <source>Dark</source>
        <translation>Dunkel</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="197"/>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="198"/>
        <source>&amp;About Trackwatch</source>
        <translation>Ü&amp;ber Trackwatch</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="200"/>
        <source>About Trackwatch</source>
        <translation>Über Trackwatch</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="201"/>
        <source>&lt;b&gt;Trackwatch %1&lt;/b&gt;&lt;p&gt;Live dashboards and controls for the Trackwatch email-tracking engine.&lt;/p&gt;</source>
        <translation>&lt;b&gt;Trackwatch %1&lt;/b&gt;&lt;p&gt;Live-Dashboards und Steuerung für die E-Mail-Tracking-Engine von Trackwatch.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="231"/>
        <source>Trackwatch — demo database</source>
        <translation>Trackwatch — Demo-Datenbank</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="232"/>
        <source>Database: demo (simulated mail)</source>
        <translation>Datenbank: Demo (simulierte E-Mails)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="236"/>
        <source>Database: %1 (with simulated mail)</source>
        <translation>Datenbank: %1 (mit simulierten E-Mails)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="239"/>
        <source>Database: %1</source>
        <translation>Datenbank: %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="235"/>
        <location filename="../ui/main_window.cpp" line="238"/>
        <source>Trackwatch — %1</source>
        <translation>Trackwatch — %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="287"/>
        <source>Engine running</source>
        <translation>Engine läuft</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="303"/>
        <source>Engine: healthy</source>
        <translation>Engine: gesund</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="304"/>
        <source>Engine: degraded</source>
        <translation>Engine: eingeschränkt</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="305"/>
        <source>Engine: unhealthy</source>
        <translation>Engine: gestört</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="327"/>
        <source>API: http://%1:%2</source>
        <translation>API: http://%1:%2</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="319"/>
        <source>API stopped</source>
        <translation>API angehalten</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="338"/>
        <source>Trying the database again…</source>
        <translation>Neuer Verbindungsversuch zur Datenbank…</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="365"/>
        <source>&lt;b&gt;The database cannot be reached.&lt;/b&gt; %1&lt;br&gt;The dashboards keep their history; Retry connects again.</source>
        <translation>&lt;b&gt;Die Datenbank ist nicht erreichbar.&lt;/b&gt; %1&lt;br&gt;Die Dashboards behalten ihren Verlauf; „Erneut versuchen“ verbindet neu.</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::MetricPlot</name>
    <message>
        <location filename="../ui/dashboard/metric_plot.cpp" line="310"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location filename="../ui/dashboard/metric_plot.cpp" line="311"/>
        <source>no data</source>
        <translation>keine Daten</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::ReasonDialog</name>
    <message>
        <location filename="../ui/control/reason_dialog.cpp" line="26"/>
        <source>&amp;Reason (who asked, why; it goes into the audit log):</source>
        <translation>&amp;Grund (wer hat es veranlasst, warum; wird im Audit-Log vermerkt):</translation>
    </message>
    <message>
        <location filename="../ui/control/reason_dialog.cpp" line="29"/>
        <source>e.g. p95 regression, INC-142</source>
        <translation>z. B. p95-Regression, INC-142</translation>
    </message>
    <message>
        <location filename="../ui/control/reason_dialog.cpp" line="30"/>
        <source>A reason is required.</source>
        <translation>Ein Grund ist erforderlich.</translation>
    </message>
    <message>
        <location filename="../ui/control/reason_dialog.cpp" line="56"/>
        <source>Type a reason first: every change is audited with one.</source>
        <translation>Geben Sie zuerst einen Grund ein: Jede Änderung wird mit Grund protokolliert.</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::RecentConnectionsMenu</name>
    <message>
        <location filename="../ui/shell/recent_connections_menu.cpp" line="20"/>
        <source>Open &amp;recent</source>
        <translation>&amp;Zuletzt geöffnet</translation>
    </message>
    <message>
        <location filename="../ui/shell/recent_connections_menu.cpp" line="50"/>
        <source>Default database — %1</source>
        <translation>Standarddatenbank — %1</translation>
    </message>
    <message>
        <location filename="../ui/shell/recent_connections_menu.cpp" line="51"/>
        <source>Demo database — %1</source>
        <translation>Demo-Datenbank — %1</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::RollbackDialog</name>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="51"/>
        <source>Flag</source>
        <translation>Flag</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="51"/>
        <source>Now</source>
        <translation>Jetzt</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="51"/>
        <source>After</source>
        <translation>Danach</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="56"/>
        <source>Engine</source>
        <translation>Engine</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="56"/>
        <source>Process</source>
        <translation>Prozess</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="56"/>
        <source>Acknowledged</source>
        <translation>Bestätigt</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="56"/>
        <source>Health</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="56"/>
        <source>Reasons</source>
        <translation>Gründe</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="58"/>
        <location filename="../ui/control/rollback_dialog.cpp" line="159"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="61"/>
        <source>Emergency rollback</source>
        <translation>Notfall-Rollback</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="61"/>
        <source>Roll forward</source>
        <translation>Roll-forward</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="65"/>
        <source>Every optimization flag goes off in every engine sharing this database, in one transaction, as an override whose source is &quot;rollback&quot;. The values they replace are kept, so a roll-forward restores exactly them. These flags change:</source>
        <translation>Alle Optimierungs-Flags werden in allen Engines dieser Datenbank in einer Transaktion ausgeschaltet, als Überschreibung mit der Quelle „Rollback“. Die ersetzten Werte bleiben erhalten, sodass ein Roll-forward genau sie wiederherstellt. Diese Flags ändern sich:</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="68"/>
        <source>The flags go back to exactly what they were before the rollback (the same overrides, or none) and the rollback ends. These flags change:</source>
        <translation>Die Flags kehren genau zu ihrem Stand vor dem Rollback zurück (dieselben Überschreibungen oder keine), und der Rollback endet. Diese Flags ändern sich:</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="72"/>
        <source>who asked, why (e.g. INC-142: p95 over 2 s)</source>
        <translation>wer hat es veranlasst, warum (z. B. INC-142: p95 über 2 s)</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="74"/>
        <source>I understand: every engine falls back to the legacy paths.</source>
        <translation>Verstanden: Alle Engines fallen auf die Altpfade zurück.</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="75"/>
        <source>I understand: every engine goes back to these values.</source>
        <translation>Verstanden: Alle Engines kehren zu diesen Werten zurück.</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="83"/>
        <source>Roll back now</source>
        <translation>Rollback jetzt ausführen</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="83"/>
        <source>Roll forward now</source>
        <translation>Roll-forward jetzt ausführen</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="87"/>
        <source>&amp;Reason:</source>
        <translation>&amp;Grund:</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="110"/>
        <source>The rollback</source>
        <translation>Der Rollback</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="110"/>
        <source>The roll-forward</source>
        <translation>Der Roll-forward</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="115"/>
        <source>Reading what would change…</source>
        <translation>Ermittle, was sich ändern würde…</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="125"/>
        <source>No rollback is in force: there is nothing to roll forward.</source>
        <translation>Kein Rollback aktiv: Es gibt nichts für einen Roll-forward.</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="126"/>
        <source>Could not read what would change: %1</source>
        <translation>Die Änderungen konnten nicht ermittelt werden: %1</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="131"/>
        <source>No flag would change.</source>
        <translation>Kein Flag würde sich ändern.</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="159"/>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="176"/>
        <source>Rolling back…</source>
        <translation>Rollback läuft…</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="176"/>
        <source>Rolling forward…</source>
        <translation>Roll-forward läuft…</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="186"/>
        <source>%1 failed and nothing was changed: %2</source>
        <translation>%1 ist fehlgeschlagen, es wurde nichts geändert: %2</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="200"/>
        <source>%1 is stored (control version %2). Waiting up to %3 s for every running engine to apply it…</source>
        <translation>%1 ist gespeichert (Steuerungsversion %2). Warte bis zu %3 s, bis alle laufenden Engines ihn übernehmen…</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="220"/>
        <source>%1 is stored (control version %2), but the engines could not be read: %3</source>
        <translation>%1 ist gespeichert (Steuerungsversion %2), aber die Engines konnten nicht gelesen werden: %3</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="250"/>
        <source>yes (version %1)</source>
        <translation>ja (Version %1)</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="251"/>
        <source>NO (still on version %1)</source>
        <translation>NEIN (noch auf Version %1)</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="264"/>
        <source>%1 is done (control version %2). No engine is running on this database; engines apply it when they start.</source>
        <translation>%1 ist abgeschlossen (Steuerungsversion %2). Auf dieser Datenbank läuft keine Engine; Engines übernehmen ihn beim Start.</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="269"/>
        <source>%1 is done (control version %2). Every running engine acknowledged it (%3 of %3):</source>
        <translation>%1 ist abgeschlossen (Steuerungsversion %2). Alle laufenden Engines haben ihn bestätigt (%3 von %3):</translation>
    </message>
    <message>
        <location filename="../ui/control/rollback_dialog.cpp" line="275"/>
        <source>%1 is stored (control version %2), but %3 of %4 running engines did not acknowledge it within %5 s:</source>
        <translation>%1 ist gespeichert (Steuerungsversion %2), aber %3 von %4 laufenden Engines haben ihn nicht innerhalb von %5 s bestätigt:</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::RolloutEditor</name>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="45"/>
        <location filename="../ui/control/rollout_editor.cpp" line="50"/>
        <source>%1 rollout percentage</source>
        <translation>Rollout-Anteil %1</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="54"/>
        <source>Apply…</source>
        <translation>Übernehmen…</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="84"/>
        <source>the seed&apos;s starting percentage</source>
        <translation>Startanteil laut Seed</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="85"/>
        <source>set by %1 at %2</source>
        <translation>gesetzt von %1 am %2</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="111"/>
        <source>No change.</source>
        <translation>Keine Änderung.</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="114"/>
        <source>Counting the accounts that %1 % would move…</source>
        <translation>Zähle die Konten, die bei %1 % wechseln würden…</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="123"/>
        <source>onto the optimized path</source>
        <translation>auf den optimierten Pfad</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="123"/>
        <source>back to the legacy path</source>
        <translation>zurück auf den Altpfad</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="124"/>
        <source>1 account moves %1.</source>
        <translation>1 Konto wechselt %1.</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="125"/>
        <source>%1 accounts move %2.</source>
        <translation>%1 Konten wechseln %2.</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="126"/>
        <source>%1 % → %2 %:</source>
        <translation>%1 % → %2 %:</translation>
    </message>
    <message>
        <location filename="../ui/control/rollout_editor.cpp" line="133"/>
        <source>The preview failed: %1</source>
        <translation>Die Vorschau ist fehlgeschlagen: %1</translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::SearchPage</name>
    <message>
        <location filename="../ui/search/search_page.cpp" line="72"/>
        <source>All accounts</source>
        <translation>Alle Konten</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="75"/>
        <location filename="../ui/search/search_page.cpp" line="76"/>
        <source>Part of an address</source>
        <translation>Teil einer Adresse</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="77"/>
        <source>Words in the subject</source>
        <translation>Wörter im Betreff</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="80"/>
        <source>Any status</source>
        <translation>Beliebiger Status</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="85"/>
        <source>Sent from</source>
        <translation>Gesendet ab</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="88"/>
        <source>until</source>
        <translation>bis</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="94"/>
        <source>&amp;Search</source>
        <translation>&amp;Suchen</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="97"/>
        <source>&amp;Copy</source>
        <translation>&amp;Kopieren</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="99"/>
        <source>Copy the selected rows (Ctrl+C)</source>
        <translation>Ausgewählte Zeilen kopieren (Ctrl+C)</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="100"/>
        <source>&amp;Export CSV…</source>
        <translation>CSV &amp;exportieren…</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="102"/>
        <source>Save the loaded results as a CSV file</source>
        <translation>Geladene Ergebnisse als CSV-Datei speichern</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="103"/>
        <location filename="../ui/search/search_page.cpp" line="307"/>
        <source>Enter what you know about the email and press Search.</source>
        <translation>Geben Sie ein, was Sie über die E-Mail wissen, und klicken Sie auf „Suchen“.</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="108"/>
        <location filename="../ui/search/search_page.cpp" line="362"/>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="110"/>
        <source>Recipient</source>
        <translation>Empfänger</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="112"/>
        <source>Sender</source>
        <translation>Absender</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="114"/>
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="116"/>
        <location filename="../ui/search/search_page.cpp" line="361"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="156"/>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="165"/>
        <location filename="../ui/search/search_page.cpp" line="326"/>
        <source>Select an email to see its timeline.</source>
        <translation>Wählen Sie eine E-Mail aus, um ihre Zeitleiste zu sehen.</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="182"/>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="182"/>
        <source>Event</source>
        <translation>Ereignis</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="182"/>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="187"/>
        <location filename="../ui/search/search_page.cpp" line="383"/>
        <source>Reply matched</source>
        <translation>Antwort zugeordnet</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="192"/>
        <source>Timeline</source>
        <translation>Zeitleiste</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="217"/>
        <source>Export search results</source>
        <translation>Suchergebnisse exportieren</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="218"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="289"/>
        <source>The date range is empty: “from” must be before “until”.</source>
        <translation>Der Zeitraum ist leer: „ab“ muss vor „bis“ liegen.</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="305"/>
        <source>Search failed: %1</source>
        <translation>Suche fehlgeschlagen: %1</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="309"/>
        <source>Searching…</source>
        <translation>Suche läuft…</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="311"/>
        <source>No tracked email matches.</source>
        <translation>Keine verfolgte E-Mail gefunden.</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/search/search_page.cpp" line="313"/>
        <source>%n email(s) loaded (first page in %1 ms); scroll for more.</source>
        <translation>
            <numerusform>%n E-Mail geladen (erste Seite in %1 ms); für weitere scrollen.</numerusform>
            <numerusform>%n E-Mails geladen (erste Seite in %1 ms); für weitere scrollen.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/search/search_page.cpp" line="317"/>
        <source>%n email(s) found.</source>
        <translation>
            <numerusform>%n E-Mail gefunden.</numerusform>
            <numerusform>%n E-Mails gefunden.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="344"/>
        <source>Cannot load this email: %1</source>
        <translation>Diese E-Mail kann nicht geladen werden: %1</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="355"/>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="363"/>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="364"/>
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="365"/>
        <source>Message-ID</source>
        <translation>Message-ID</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="367"/>
        <source>Conversation</source>
        <translation>Konversation</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="369"/>
        <source>Replies</source>
        <translation>Antworten</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="379"/>
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="380"/>
        <source>From %1 to %2</source>
        <translation>Von %1 an %2</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="384"/>
        <source>From %1, matched by %2</source>
        <translation>Von %1, zugeordnet über %2</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="391"/>
        <source>Bounced</source>
        <translation>Unzustellbar</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="392"/>
        <source>A delivery failure was reported</source>
        <translation>Ein Zustellfehler wurde gemeldet</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="395"/>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="396"/>
        <source>No reply within the tracking period</source>
        <translation>Keine Antwort innerhalb des Verfolgungszeitraums</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="399"/>
        <source>Tracking stopped</source>
        <translation>Verfolgung beendet</translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="408"/>
        <source>Further replies</source>
        <translation>Weitere Antworten</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/search/search_page.cpp" line="409"/>
        <source>%n more repl(ies) received</source>
        <translation>
            <numerusform>%n weitere Antwort erhalten</numerusform>
            <numerusform>%n weitere Antworten erhalten</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/search/search_page.cpp" line="432"/>
        <source>Copied %n row(s).</source>
        <translation>
            <numerusform>%n Zeile kopiert.</numerusform>
            <numerusform>%n Zeilen kopiert.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/search/search_page.cpp" line="438"/>
        <location filename="../ui/search/search_page.cpp" line="443"/>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/search/search_page.cpp" line="446"/>
        <source>Exported %n row(s) to %1.</source>
        <translation>
            <numerusform>%n Zeile nach %1 exportiert.</numerusform>
            <numerusform>%n Zeilen nach %1 exportiert.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>trackwatch::ui::SearchResultsModel</name>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="59"/>
        <source>No database connection.</source>
        <translation>Keine Datenbankverbindung.</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="114"/>
        <source>Awaiting reply</source>
        <translation>Wartet auf Antwort</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="117"/>
        <location filename="../ui/search/search_results_model.cpp" line="202"/>
        <source>Replied</source>
        <translation>Beantwortet</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="120"/>
        <source>Bounced</source>
        <translation>Unzustellbar</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="123"/>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="126"/>
        <source>Stopped</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="133"/>
        <source>In-Reply-To</source>
        <translation>In-Reply-To</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="136"/>
        <source>References</source>
        <translation>References</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="139"/>
        <source>Conversation</source>
        <translation>Konversation</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="192"/>
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="194"/>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="196"/>
        <source>Recipients</source>
        <translation>Empfänger</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="198"/>
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="200"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../ui/search/search_results_model.cpp" line="204"/>
        <source>Matched by</source>
        <translation>Zugeordnet über</translation>
    </message>
</context>
</TS>
