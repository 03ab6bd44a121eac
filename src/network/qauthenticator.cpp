// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#include <QtPsk/qauthenticator.h>

QTPSK_BEGIN_NAMESPACE

class QAuthenticatorPrivate : public QSharedData
{
public:
    QString user;
    QString password;
    QString realm;
    QVariantHash options;
};

// The data pointer is null until something is set: that is what isNull() reports, as in Qt.
QAuthenticator::QAuthenticator() = default;

QAuthenticator::~QAuthenticator() = default;

QAuthenticator::QAuthenticator(const QAuthenticator &other) = default;

QAuthenticator &QAuthenticator::operator=(const QAuthenticator &other) = default;

bool QAuthenticator::operator==(const QAuthenticator &other) const
{
    if (d == other.d)
        return true;
    if (!d || !other.d)
        return false;
    return d->user == other.d->user && d->password == other.d->password
            && d->realm == other.d->realm && d->options == other.d->options;
}

QString QAuthenticator::user() const
{
    return d ? d->user : QString();
}

void QAuthenticator::setUser(const QString &user)
{
    detach();
    d->user = user;
}

QString QAuthenticator::password() const
{
    return d ? d->password : QString();
}

void QAuthenticator::setPassword(const QString &password)
{
    detach();
    d->password = password;
}

QString QAuthenticator::realm() const
{
    return d ? d->realm : QString();
}

void QAuthenticator::setRealm(const QString &realm)
{
    detach();
    d->realm = realm;
}

QVariant QAuthenticator::option(const QString &opt) const
{
    return d ? d->options.value(opt) : QVariant();
}

QVariantHash QAuthenticator::options() const
{
    return d ? d->options : QVariantHash();
}

void QAuthenticator::setOption(const QString &opt, const QVariant &value)
{
    detach();
    d->options.insert(opt, value);
}

bool QAuthenticator::isNull() const
{
    return !d;
}

void QAuthenticator::detach()
{
    if (!d)
        d = new QAuthenticatorPrivate;
    else
        d.detach();
}

QTPSK_END_NAMESPACE
