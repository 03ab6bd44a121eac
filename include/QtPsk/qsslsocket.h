// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
#ifndef QSSLSOCKET_H
#define QSSLSOCKET_H

#include <QtPsk/qtpskglobal.h>

QTPSK_BEGIN_NAMESPACE

// The socket work replaces this placeholder with the full class (derived from QTcpSocket)
/*!
    \class QSslSocket
    \brief A TLS socket; for now only its nested enumerations, which QSslConfiguration uses.
*/
class QTPSK_EXPORT QSslSocket
{
public:
    /*! Whether, and in which role, the socket encrypts. */
    enum SslMode {
        UnencryptedMode, /*!< Plain TCP: no encryption. */
        SslClientMode,   /*!< The socket is the TLS client. */
        SslServerMode    /*!< The socket is the TLS server. */
    };

    /*! How the socket verifies the peer's certificate. */
    enum PeerVerifyMode {
        VerifyNone,     /*!< Do not ask for or check the peer's certificate. */
        QueryPeer,      /*!< Ask for the certificate but do not require or check it (servers). */
        VerifyPeer,     /*!< Require a valid certificate from the peer. */
        AutoVerifyPeer  /*!< VerifyPeer on clients, QueryPeer on servers. The default. */
    };
};

QTPSK_END_NAMESPACE

#endif // QSSLSOCKET_H
