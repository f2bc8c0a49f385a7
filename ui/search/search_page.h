// SPDX-License-Identifier: MIT
#pragma once

#include "tracking/email_search.h"

#include <QWidget>

#include <functional>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTreeWidget;

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

class SearchResultsModel;

// Support staff's search of tracked emails: filters (account, recipient, sender, subject words,
// status, sent between), the results paging in as the table scrolls, the selected email's
// timeline, copying the selected rows (Ctrl+C) and exporting the loaded rows as CSV. Every
// query runs on the database worker; the page only reads.
class SearchPage : public QWidget {
    Q_OBJECT
public:
    explicit SearchPage(core::DatabaseWorker* db, QWidget* parent = nullptr);

    // The filter the fields describe now.
    core::EmailSearchFilter currentFilter() const;

    SearchResultsModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }
    QTreeWidget* timeline() const { return m_timeline; }
    QString statusText() const;

    // Writes the loaded rows as CSV; false (with the status line saying why) when it cannot.
    bool exportCsv(const QString& path);
    // Where Export asks for a file name (a file dialog by default; tests give their own).
    void setSaveFileNameProvider(std::function<QString()> provider) {
        m_saveFileName = std::move(provider);
    }

public slots:
    void search();
    void copySelection();

signals:
    // The detail pane shows the email with this id.
    void detailShown(qint64 id);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void loadAccounts();
    void showDetail(qint64 id);
    void showDetailResult(const core::EmailDetail& d);
    void clearDetail();
    void updateStatus();
    QList<int> selectedRows() const;

    core::DatabaseWorker* m_db;
    SearchResultsModel* m_model;
    QComboBox* m_account;
    QLineEdit* m_recipient;
    QLineEdit* m_sender;
    QLineEdit* m_subject;
    QComboBox* m_status;
    QCheckBox* m_useFrom;
    QDateTimeEdit* m_from;
    QCheckBox* m_useUntil;
    QDateTimeEdit* m_until;
    QPushButton* m_searchButton;
    QPushButton* m_copyButton;
    QPushButton* m_exportButton;
    QLabel* m_statusLine;
    QTableView* m_table;
    QLabel* m_detailTitle;
    QLabel* m_detailFields;
    QTreeWidget* m_timeline;
    QString m_error;
    quint64 m_detailGeneration = 0;
    bool m_accountsLoaded = false;
    std::function<QString()> m_saveFileName;
};

} // namespace trackwatch::ui
