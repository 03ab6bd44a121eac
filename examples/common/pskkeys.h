// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Pre-shared keys for the examples: strict hex parsing and the identity:hexkey key files that
// GnuTLS's psktool and mosquitto's psk_file use.
#ifndef QTPSK_EXAMPLES_PSKKEYS_H
#define QTPSK_EXAMPLES_PSKKEYS_H

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qhash.h>
#include <QtCore/qstring.h>

#include <optional>

class QIODevice;

namespace PskExample {

// The bytes that \a hex spells, or nothing when \a hex is empty, has an odd length or contains
// anything but the digits 0-9, a-f and A-F (no spaces, no "0x" prefix).
std::optional<QByteArray> parseHex(QByteArrayView hex);

// One identity and its key.
struct PskEntry
{
    QByteArray identity;
    QByteArray key;
};

// Parses one "identity:hexkey" entry. The identity ends at the first ':'. An identity that itself
// contains ':' (or starts with '#') is written as "#" followed by its bytes in hex, as psktool
// does. On failure returns nothing and sets \a error to a reason that never quotes the key.
std::optional<PskEntry> parsePskEntry(QByteArrayView text, QString *error);

// Identity -> key, as loaded from --psk arguments and key files.
class PskTable
{
public:
    // Adds \a entry; false (and \a error set) if its identity is already in the table.
    bool insert(const PskEntry &entry, QString *error);
    // The key of \a identity, or an empty QByteArray when the identity is unknown.
    QByteArray key(const QByteArray &identity) const { return m_keys.value(identity); }
    bool contains(const QByteArray &identity) const { return m_keys.contains(identity); }
    qsizetype size() const { return m_keys.size(); }
    bool isEmpty() const { return m_keys.isEmpty(); }

private:
    QHash<QByteArray, QByteArray> m_keys;
};

// The longest line a key file may have (an identity of 255 bytes written in hex and a key of 512
// bytes take 1537), and the most a key file may hold.
constexpr qsizetype MaxPskFileLine = 2048;
constexpr qsizetype MaxPskFileSize = 1024 * 1024;

// Reads a key file from \a device into \a table, in one sequential pass (a pipe, a FIFO or
// process substitution as well as a file). One entry a line (see parsePskEntry()); blank lines
// and comment lines ('#' not followed by "hexidentity:hexkey") are skipped; surrounding
// whitespace and CR line ends are ignored. Stops at the first bad line (or one longer than
// MaxPskFileLine) and returns false with \a error "line <n>: <reason>"; the message never
// contains key material, and identities in it are escaped (printable()).
bool readPskFile(QIODevice *device, PskTable *table, QString *error);

// Opens \a fileName and reads it with readPskFile(); errors start with the file name. When the
// file is a regular file with any permission for group or others, \a warning (if given) says
// so, as ssh does for key files; the file is still read.
bool loadPskFile(const QString &fileName, PskTable *table, QString *error,
                 QString *warning = nullptr);

} // namespace PskExample

#endif // QTPSK_EXAMPLES_PSKKEYS_H
