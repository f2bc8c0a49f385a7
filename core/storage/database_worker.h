// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "storage/connection_spec.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

namespace trackwatch::core {

class Database;

// A database connection on its own thread, for callers that must never wait on the database
// (the console's pages). run() queues a job; the job runs on the worker's thread with the
// worker's Database, and its result is delivered through a queued call on the thread that
// created the worker (where receivers live), dropped if the receiver is gone by then. Jobs run one
// at a time, in the order queued.
//
// The connection opens on the first job (without migrating: the engine does that). When it
// cannot open, the job is not run and receives the error. When a job fails and the connection
// no longer answers, it is closed and the next job opens it again; connectionChanged() reports
// each change between up and down, so a page can show the outage and offer a retry.
// Create and destroy it on one thread, where the receivers live too; run() is thread-safe.
class DatabaseWorker : public QObject {
    Q_OBJECT
public:
    explicit DatabaseWorker(ConnectionSpec spec, QObject* parent = nullptr);
    ~DatabaseWorker() override; // closes the connection on its thread and stops the thread

    const ConnectionSpec& spec() const { return m_spec; }

    template <typename T>
    void run(QObject* receiver, std::function<Result<T>(Database&)> job,
             std::function<void(Result<T>)> done) {
        QPointer<QObject> target(receiver);
        post([this, target, job = std::move(job), done = std::move(done)]() mutable {
            auto result = std::make_shared<Result<T>>(execute<T>(job));
            // Back on this object's thread, where the receiver lives and may be deleted: the
            // check and the call happen there, so the receiver cannot go in between.
            QMetaObject::invokeMethod(
                this,
                [target, done, result]() mutable {
                    if (target) {
                        done(std::move(*result));
                    }
                },
                Qt::QueuedConnection);
        });
    }

    // For jobs that return no value.
    void run(QObject* receiver, std::function<Status(Database&)> job,
             std::function<void(Status)> done);

signals:
    // The connection came up or went down; message says why it went down.
    void connectionChanged(bool up, const QString& message);

private:
    template <typename T> Result<T> execute(const std::function<Result<T>(Database&)>& job) {
        Database* db = connection();
        if (db == nullptr) {
            return Result<T>(m_lastError);
        }
        Result<T> result = job(*db);
        if (!result.ok()) {
            checkConnection();
        }
        return result;
    }
    void post(std::function<void()> task);
    Database* connection(); // opens it when needed; null with m_lastError set when it cannot
    void checkConnection(); // after a failed job: drops a connection that no longer answers
    void report(bool up);   // emits connectionChanged() when the state differs

    ConnectionSpec m_spec;
    QThread m_thread;
    QObject* m_context;             // lives on m_thread; tasks run in its event loop
    std::unique_ptr<Database> m_db; // used on m_thread only
    Error m_lastError;
    int m_reported = -1; // the state connectionChanged() last gave: -1 none, 0 down, 1 up
};

} // namespace trackwatch::core
