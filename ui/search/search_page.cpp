// SPDX-License-Identifier: MIT
#include "search/search_page.h"

#include "search/search_results_model.h"
#include "storage/database.h"
#include "storage/database_worker.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

QString localTime(const QDateTime& t) {
    return t.isValid() ? t.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s) : QString();
}

QLineEdit* lineEdit(const QString& objectName, const QString& placeholder, QWidget* parent) {
    auto* edit = new QLineEdit(parent);
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    edit->setClearButtonEnabled(true);
    return edit;
}

QDateTimeEdit* dateEdit(const QString& objectName, const QDateTime& value, QWidget* parent) {
    auto* edit = new QDateTimeEdit(value, parent);
    edit->setObjectName(objectName);
    edit->setCalendarPopup(true);
    edit->setDisplayFormat(u"yyyy-MM-dd HH:mm"_s);
    edit->setEnabled(false);
    return edit;
}

} // namespace

SearchPage::SearchPage(core::DatabaseWorker* db, QWidget* parent)
    : QWidget(parent)
    , m_db(db)
    , m_model(new SearchResultsModel(db, this)) {
    setObjectName(u"searchPage"_s);

    m_account = new QComboBox(this);
    m_account->setObjectName(u"accountFilter"_s);
    m_account->setEditable(true);
    m_account->setInsertPolicy(QComboBox::NoInsert);
    m_account->lineEdit()->setPlaceholderText(tr("All accounts"));
    m_account->lineEdit()->setClearButtonEnabled(true);
    m_account->setMinimumContentsLength(22);
    m_recipient = lineEdit(u"recipientFilter"_s, tr("Part of an address"), this);
    m_sender = lineEdit(u"senderFilter"_s, tr("Part of an address"), this);
    m_subject = lineEdit(u"subjectFilter"_s, tr("Words in the subject"), this);
    m_status = new QComboBox(this);
    m_status->setObjectName(u"statusFilter"_s);
    m_status->addItem(tr("Any status"), QString());
    for (const QString& status : core::EmailSearch::statuses()) {
        m_status->addItem(SearchResultsModel::statusText(status), status);
    }
    const QDateTime now = QDateTime::currentDateTime();
    m_useFrom = new QCheckBox(tr("Sent from"), this);
    m_useFrom->setObjectName(u"useFrom"_s);
    m_from = dateEdit(u"fromFilter"_s, now.addDays(-7), this);
    m_useUntil = new QCheckBox(tr("until"), this);
    m_useUntil->setObjectName(u"useUntil"_s);
    m_until = dateEdit(u"untilFilter"_s, now.addSecs(3600), this);
    connect(m_useFrom, &QCheckBox::toggled, m_from, &QWidget::setEnabled);
    connect(m_useUntil, &QCheckBox::toggled, m_until, &QWidget::setEnabled);

    m_searchButton = new QPushButton(tr("&Search"), this);
    m_searchButton->setObjectName(u"searchButton"_s);
    m_searchButton->setDefault(true);
    m_copyButton = new QPushButton(tr("&Copy"), this);
    m_copyButton->setObjectName(u"copyButton"_s);
    m_copyButton->setToolTip(tr("Copy the selected rows (Ctrl+C)"));
    m_exportButton = new QPushButton(tr("&Export CSV…"), this);
    m_exportButton->setObjectName(u"exportButton"_s);
    m_exportButton->setToolTip(tr("Save the loaded results as a CSV file"));
    m_statusLine = new QLabel(tr("Enter what you know about the email and press Search."), this);
    m_statusLine->setObjectName(u"searchStatus"_s);
    m_statusLine->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* filters = new QGridLayout;
    filters->addWidget(new QLabel(tr("Account"), this), 0, 0);
    filters->addWidget(m_account, 0, 1);
    filters->addWidget(new QLabel(tr("Recipient"), this), 0, 2);
    filters->addWidget(m_recipient, 0, 3);
    filters->addWidget(new QLabel(tr("Sender"), this), 0, 4);
    filters->addWidget(m_sender, 0, 5);
    filters->addWidget(new QLabel(tr("Subject"), this), 1, 0);
    filters->addWidget(m_subject, 1, 1);
    filters->addWidget(new QLabel(tr("Status"), this), 1, 2);
    filters->addWidget(m_status, 1, 3);
    auto* dates = new QHBoxLayout;
    dates->addWidget(m_useFrom);
    dates->addWidget(m_from, 1);
    dates->addWidget(m_useUntil);
    dates->addWidget(m_until, 1);
    filters->addLayout(dates, 1, 4, 1, 2);
    filters->setColumnStretch(1, 2);
    filters->setColumnStretch(3, 2);
    filters->setColumnStretch(5, 2);

    auto* actions = new QHBoxLayout;
    actions->addWidget(m_searchButton);
    actions->addWidget(m_copyButton);
    actions->addWidget(m_exportButton);
    actions->addSpacing(12);
    actions->addWidget(m_statusLine, 1);

    m_table = new QTableView(this);
    m_table->setObjectName(u"searchResults"_s);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    const QFontMetrics metrics = m_table->fontMetrics();
    const int timeWidth = metrics.horizontalAdvance(u"2026-11-29 23:59:59"_s) + 16;
    m_table->setColumnWidth(SearchResultsModel::Sent, timeWidth);
    m_table->setColumnWidth(SearchResultsModel::Subject, metrics.averageCharWidth() * 34);
    m_table->setColumnWidth(SearchResultsModel::Recipients, metrics.averageCharWidth() * 28);
    m_table->setColumnWidth(SearchResultsModel::Status, metrics.averageCharWidth() * 15);
    m_table->setColumnWidth(SearchResultsModel::Replied, timeWidth);
    m_table->setColumnWidth(SearchResultsModel::Match, metrics.averageCharWidth() * 14);

    auto* copy = new QAction(tr("Copy"), m_table);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    m_table->addAction(copy);
    connect(copy, &QAction::triggered, this, &SearchPage::copySelection);

    // The detail pane: the selected email and its timeline.
    auto* detail = new QWidget(this);
    detail->setObjectName(u"searchDetail"_s);
    m_detailTitle = new QLabel(tr("Select an email to see its timeline."), detail);
    m_detailTitle->setTextFormat(Qt::PlainText); // a subject is the sender's text, never markup
    m_detailTitle->setObjectName(u"detailTitle"_s);
    m_detailTitle->setWordWrap(true);
    QFont titleFont = m_detailTitle->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    m_detailTitle->setFont(titleFont);
    m_detailFields = new QLabel(detail);
    m_detailFields->setObjectName(u"detailFields"_s);
    m_detailFields->setWordWrap(true);
    m_detailFields->setTextFormat(Qt::RichText);
    m_detailFields->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detailFields->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_timeline = new QTreeWidget(detail);
    m_timeline->setObjectName(u"timeline"_s);
    m_timeline->setColumnCount(3);
    m_timeline->setHeaderLabels({tr("Time"), tr("Event"), tr("Details")});
    m_timeline->setRootIsDecorated(false);
    m_timeline->setWordWrap(true);
    m_timeline->setUniformRowHeights(false);
    m_timeline->setColumnWidth(0, timeWidth);
    m_timeline->setColumnWidth(1, metrics.horizontalAdvance(tr("Reply matched")) + 16);
    auto* detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(8, 0, 0, 0);
    detailLayout->addWidget(m_detailTitle);
    detailLayout->addWidget(m_detailFields);
    detailLayout->addWidget(new QLabel(tr("Timeline"), detail));
    detailLayout->addWidget(m_timeline, 1);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_table);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({780, 520});
    splitter->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addLayout(actions);
    layout->addWidget(splitter, 1);

    connect(m_searchButton, &QPushButton::clicked, this, &SearchPage::search);
    for (QLineEdit* edit : {m_recipient, m_sender, m_subject, m_account->lineEdit()}) {
        connect(edit, &QLineEdit::returnPressed, this, &SearchPage::search);
    }
    connect(m_copyButton, &QPushButton::clicked, this, &SearchPage::copySelection);
    connect(m_exportButton, &QPushButton::clicked, this, [this] {
        const QString path =
            m_saveFileName
                ? m_saveFileName()
                : QFileDialog::getSaveFileName(this, tr("Export search results"),
                                               u"tracked-emails.csv"_s, tr("CSV files (*.csv)"));
        if (!path.isEmpty()) {
            exportCsv(path);
        }
    });
    connect(m_model, &SearchResultsModel::loadingChanged, this, [this] { updateStatus(); });
    connect(m_model, &SearchResultsModel::pageLoaded, this, [this] { updateStatus(); });
    connect(m_model, &SearchResultsModel::failed, this, [this](const QString& message) {
        m_error = message;
        updateStatus();
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, &SearchPage::clearDetail);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid()) {
                    showDetail(m_model->row(current.row()).id);
                }
            });
    updateStatus();
}

void SearchPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!m_accountsLoaded) {
        m_accountsLoaded = true;
        loadAccounts();
    }
}

void SearchPage::loadAccounts() {
    if (!m_db) {
        return;
    }
    m_db->run<QStringList>(
        this, [](core::Database& db) { return core::EmailSearch(db).accounts(); },
        [this](core::Result<QStringList> accounts) {
            if (!accounts) {
                m_accountsLoaded = false; // try again next time the page shows
                return;
            }
            const QString typed = m_account->currentText();
            m_account->clear();
            m_account->addItem(QString());
            m_account->addItems(*accounts);
            m_account->setCurrentIndex(-1);
            m_account->setEditText(typed);
        });
}

core::EmailSearchFilter SearchPage::currentFilter() const {
    core::EmailSearchFilter f;
    f.account = m_account->currentText().trimmed();
    f.recipient = m_recipient->text().trimmed();
    f.sender = m_sender->text().trimmed();
    f.subject = m_subject->text().simplified();
    f.status = m_status->currentData().toString();
    if (m_useFrom->isChecked()) {
        f.from = m_from->dateTime().toUTC();
    }
    if (m_useUntil->isChecked()) {
        f.until = m_until->dateTime().toUTC();
    }
    return f;
}

void SearchPage::search() {
    const core::EmailSearchFilter filter = currentFilter();
    m_error.clear();
    if (const core::Status s = core::EmailSearch::validate(filter); !s) {
        m_model->clear();
        m_error = filter.from.isValid() && filter.until.isValid() && filter.from >= filter.until
                      ? tr("The date range is empty: “from” must be before “until”.")
                      : s.error().message;
        updateStatus();
        return;
    }
    m_model->search(filter);
    updateStatus();
}

QString SearchPage::statusText() const {
    return m_statusLine->text();
}

void SearchPage::updateStatus() {
    QString text;
    if (!m_error.isEmpty()) {
        text = tr("Search failed: %1").arg(m_error);
    } else if (m_model->generation() == 0) {
        text = tr("Enter what you know about the email and press Search.");
    } else if (m_model->isLoading() && m_model->rowCount() == 0) {
        text = tr("Searching…");
    } else if (m_model->rowCount() == 0) {
        text = tr("No tracked email matches.");
    } else if (m_model->hasMore() || m_model->isLoading()) {
        text = tr("%n email(s) loaded (first page in %1 ms); scroll for more.", "",
                  m_model->rowCount())
                   .arg(m_model->firstPageMs());
    } else {
        text = tr("%n email(s) found.", "", m_model->rowCount());
    }
    m_statusLine->setText(text);
    m_copyButton->setEnabled(m_model->rowCount() > 0);
    m_exportButton->setEnabled(m_model->rowCount() > 0);
}

void SearchPage::clearDetail() {
    ++m_detailGeneration;
    m_detailTitle->setText(tr("Select an email to see its timeline."));
    m_detailFields->clear();
    m_timeline->clear();
}

void SearchPage::showDetail(qint64 id) {
    if (!m_db) {
        return;
    }
    const quint64 generation = ++m_detailGeneration;
    m_db->run<core::EmailDetail>(
        this, [id](core::Database& db) { return core::EmailSearch(db).detail(id); },
        [this, generation](core::Result<core::EmailDetail> detail) {
            if (generation != m_detailGeneration) {
                return; // another email was selected meanwhile
            }
            if (!detail) {
                m_detailTitle->setText(
                    tr("Cannot load this email: %1").arg(detail.error().message));
                m_detailFields->clear();
                m_timeline->clear();
                return;
            }
            showDetailResult(*detail);
        });
}

void SearchPage::showDetailResult(const core::EmailDetail& d) {
    const core::EmailSearchRow& e = d.email;
    m_detailTitle->setText(e.subject.isEmpty() ? tr("(no subject)") : e.subject);
    const auto row = [](const QString& label, const QString& value) {
        return u"<tr><td style='padding-right:8px'><b>%1</b></td><td>%2</td></tr>"_s.arg(
            label.toHtmlEscaped(), value.toHtmlEscaped());
    };
    QString html = u"<table>"_s;
    html += row(tr("Status"), SearchResultsModel::statusText(e.status));
    html += row(tr("Account"), e.account);
    html += row(tr("From"), e.sender);
    html += row(tr("To"), e.recipients);
    html += row(tr("Message-ID"), e.messageId);
    if (!d.conversationId.isEmpty()) {
        html += row(tr("Conversation"), d.conversationId);
    }
    html += row(tr("Replies"), QString::number(e.responseCount));
    html += u"</table>"_s;
    m_detailFields->setText(html);

    m_timeline->clear();
    for (const core::TimelineEvent& ev : d.timeline) {
        QString what;
        QString details;
        switch (ev.kind) {
        case core::TimelineEventKind::Sent:
            what = tr("Sent");
            details = tr("From %1 to %2").arg(ev.party, e.recipients);
            break;
        case core::TimelineEventKind::Replied:
            what = tr("Reply matched");
            details = tr("From %1, matched by %2")
                          .arg(ev.party, SearchResultsModel::matchText(ev.matchMethod));
            if (!ev.messageId.isEmpty()) {
                details += u" · "_s + ev.messageId;
            }
            break;
        case core::TimelineEventKind::Bounced:
            what = tr("Bounced");
            details = tr("A delivery failure was reported");
            break;
        case core::TimelineEventKind::Expired:
            what = tr("Expired");
            details = tr("No reply within the tracking period");
            break;
        case core::TimelineEventKind::Stopped:
            what = tr("Tracking stopped");
            break;
        }
        auto* item = new QTreeWidgetItem(m_timeline, {localTime(ev.at), what, details});
        item->setToolTip(0, ev.at.toUTC().toString(Qt::ISODateWithMs));
        item->setToolTip(2, details);
    }
    if (e.responseCount > 1) {
        new QTreeWidgetItem(m_timeline,
                            {QString(), tr("Further replies"),
                             tr("%n more repl(ies) received", "", e.responseCount - 1)});
    }
    emit detailShown(e.id);
}

QList<int> SearchPage::selectedRows() const {
    QList<int> rows;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows()) {
        rows << index.row();
    }
    std::sort(rows.begin(), rows.end());
    return rows;
}

void SearchPage::copySelection() {
    const QList<int> rows = selectedRows();
    if (rows.isEmpty()) {
        return;
    }
    auto* mime = new QMimeData;
    mime->setText(m_model->toText(rows));
    mime->setData(u"text/csv"_s, m_model->toCsv(rows).toUtf8());
    QApplication::clipboard()->setMimeData(mime);
    m_statusLine->setText(tr("Copied %n row(s).", "", static_cast<int>(rows.size())));
}

bool SearchPage::exportCsv(const QString& path) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        m_statusLine->setText(tr("Cannot write %1: %2").arg(path, file.errorString()));
        return false;
    }
    file.write(m_model->toCsv().toUtf8());
    if (!file.commit()) {
        m_statusLine->setText(tr("Cannot write %1: %2").arg(path, file.errorString()));
        return false;
    }
    m_statusLine->setText(tr("Exported %n row(s) to %1.", "", m_model->rowCount())
                              .arg(QDir::toNativeSeparators(path)));
    return true;
}

} // namespace trackwatch::ui
