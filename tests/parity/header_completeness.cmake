# Which types each public header makes complete, as Qt 6.4.2's header of the same name does
# (measured on Qt's headers: every class definition a translation unit that includes only that
# header sees, less Qt's internals and the classes QtPsk does not provide). QtPsk's header may make
# more types complete, never fewer: code that includes only <QSslServer> and uses a
# QSslPreSharedKeyAuthenticator, or only <QSslError> and uses a QDateTime, compiles with both.
# qtpsk_header_completeness_sources(<out-var>) writes one test source per header (in the build tree).
set(qtpsk_core_basic QAnyStringView QByteArray QByteArrayView QChar "QFlags<LocalEnum>"
    QKeyCombination QLatin1Char QLatin1String "QScopedPointer<int>" QString QSysInfo)
set(qtpsk_core_metatype ${qtpsk_core_basic} QAdoptSharedDataTag QDataStream
    "QExplicitlySharedDataPointer<QSharedData>" QGenericArgument QGenericReturnArgument QHashSeed
    QMetaAssociation QMetaContainer QMetaObject QMetaSequence QMetaType QPartialOrdering
    "QSharedDataPointer<QSharedData>")
set(qtpsk_core_object ${qtpsk_core_metatype} "QContiguousCache<int>" QDebug QDebugStateSaver
    "QHash<int, int>" "QList<int>" "QMap<int, int>" "QMultiHash<int, int>" "QMultiMap<int, int>"
    QObject "QSet<int>" "QSharedPointer<int>" QSignalBlocker QStringMatcher QTextStream
    "QVarLengthArray<int>" "QWeakPointer<int>")
# What Qt's <QSslError> adds through <qsslcertificate.h> and <qvariant.h>.
set(qtpsk_core_certificate QCalendar QCryptographicHash QDate QDateTime QLocale QTime QVariant)
set(qtpsk_socket ${qtpsk_core_object} QIODevice QAbstractSocket QHostAddress QIPv6Address)
set(qtpsk_ssl_socket ${qtpsk_socket} ${qtpsk_core_certificate} QTcpSocket QSslError QSslSocket
    QSsl::SslProtocol)

set(qtpsk_complete_after_QSsl "QFlags<LocalEnum>" QSysInfo QSsl::SslProtocol QSsl::SslOptions)
set(qtpsk_complete_after_QSslCipher ${qtpsk_core_basic} QSslCipher QSsl::SslProtocol)
set(qtpsk_complete_after_QSslPreSharedKeyAuthenticator ${qtpsk_core_metatype}
    QSslPreSharedKeyAuthenticator)
set(qtpsk_complete_after_QSslError ${qtpsk_core_object} ${qtpsk_core_certificate} QSslError
    QSsl::SslProtocol)
set(qtpsk_complete_after_QAbstractSocket ${qtpsk_core_object} QIODevice QAbstractSocket)
set(qtpsk_complete_after_QHostAddress ${qtpsk_socket})
set(qtpsk_complete_after_QTcpSocket ${qtpsk_socket} QTcpSocket QVariant)
set(qtpsk_complete_after_QTcpServer ${qtpsk_socket} QTcpServer)
set(qtpsk_complete_after_QSslSocket ${qtpsk_ssl_socket})
set(qtpsk_complete_after_QSslConfiguration ${qtpsk_ssl_socket} QSslConfiguration)
set(qtpsk_complete_after_QSslServer ${qtpsk_ssl_socket} QSslConfiguration
    QSslPreSharedKeyAuthenticator QTcpServer QSslServer)

function(qtpsk_header_completeness_sources out)
    set(sources)
    foreach(QTPSK_HEADER QSsl QSslCipher QSslPreSharedKeyAuthenticator QSslError QAbstractSocket
            QHostAddress QTcpSocket QTcpServer QSslSocket QSslConfiguration QSslServer)
        set(QTPSK_ASSERTIONS "")
        set(types ${qtpsk_complete_after_${QTPSK_HEADER}})
        list(REMOVE_DUPLICATES types)
        list(LENGTH types QTPSK_TYPE_COUNT)
        foreach(type IN LISTS types)
            string(APPEND QTPSK_ASSERTIONS "static_assert(IsComplete<${type}>::value,\n"
                "              \"Qt's <${QTPSK_HEADER}> makes ${type} complete\");\n")
        endforeach()
        set(source ${CMAKE_CURRENT_BINARY_DIR}/header_completeness/${QTPSK_HEADER}_test.cpp)
        configure_file(${CMAKE_CURRENT_SOURCE_DIR}/header_completeness_test.cpp.in ${source} @ONLY)
        list(APPEND sources ${source})
    endforeach()
    set(${out} ${sources} PARENT_SCOPE)
endfunction()
