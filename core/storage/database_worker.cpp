// SPDX-License-Identifier: MIT
#include "storage/database_worker.h"

#include "storage/database.h"

namespace trackwatch::core {

DatabaseWorker::DatabaseWorker(ConnectionSpec spec, QObject* parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_context(new QObject) {
    m_thread.setObjectName(QStringLiteral("trackwatch-db-worker"));
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

DatabaseWorker::~DatabaseWorker() {
    // Queued jobs still run first (in order); then the connection closes on its own thread.
    QMetaObject::invokeMethod(
        m_context, [this] { m_db.reset(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void DatabaseWorker::post(std::function<void()> task) {
    QMetaObject::invokeMethod(m_context, std::move(task), Qt::QueuedConnection);
}

void DatabaseWorker::run(QObject* receiver, std::function<Status(Database&)> job,
                         std::function<void(Status)> done) {
    run<bool>(
        receiver,
        [job = std::move(job)](Database& db) -> Result<bool> {
            Status status = job(db);
            if (!status.ok()) {
                return status.error();
            }
            return true;
        },
        [done = std::move(done)](Result<bool> result) {
            done(result.ok() ? Status() : Status(result.error()));
        });
}

Database* DatabaseWorker::connection() {
    if (m_db) {
        return m_db.get();
    }
    auto opened = Database::open(m_spec);
    if (!opened) {
        m_lastError = opened.error();
        report(false);
        return nullptr;
    }
    m_db = std::move(opened).value();
    report(true);
    return m_db.get();
}

void DatabaseWorker::checkConnection() {
    if (m_db && !m_db->ping()) {
        m_db.reset();
        m_lastError = Error{ErrorCode::Unavailable,
                            QStringLiteral("the connection to %1 was lost").arg(m_spec.redacted())};
        report(false);
    }
}

void DatabaseWorker::report(bool up) {
    const int state = up ? 1 : 0;
    if (m_reported != state) {
        m_reported = state;
        emit connectionChanged(up, up ? QString() : m_lastError.message);
    }
}

} // namespace trackwatch::core
