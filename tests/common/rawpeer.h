// Copyright (c) the QtPsk authors. SPDX-License-Identifier: MIT
// Raw loopback peers for the tests: POSIX sockets with blocking calls bounded by poll(), and a
// listening or connecting peer that runs a script on a thread of its own. Qt6::Core only (no
// QtPsk class), so that the parity tests can use it when built against Qt6::Network as well.
// Every wait is bounded, so that a peer thread always ends and can be joined.
#ifndef QTPSK_TESTS_RAWPEER_H
#define QTPSK_TESTS_RAWPEER_H

#include <QtCore/qbytearray.h>
#include <QtCore/qglobal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace QtPskTest {

// --- Raw socket helpers (blocking calls, bounded by poll()) ------------------------------------

// A TCP socket listening on 127.0.0.1 with a kernel-chosen port (-1 on failure); \a backlog is
// listen()'s.
int listenLoopback(quint16 *port, int backlog = 16);
// A blocking TCP connection to 127.0.0.1:port (-1 on failure).
int connectLoopback(quint16 port);
// Accepts one connection within \a timeoutMs (-1 on failure or time-out).
int acceptWithin(int listener, int timeoutMs);
// Reads what is there within \a timeoutMs. Empty on time-out, end of stream or error; *ended
// (if given) tells an end of stream or a reset from a time-out.
QByteArray readSome(int fd, int timeoutMs, bool *ended = nullptr);
// Reads exactly \a size bytes (fewer on end of stream, error or time-out).
QByteArray readExactly(int fd, qsizetype size, int timeoutMs);
// Reads one whole TLS record (5-byte header and body).
QByteArray readRecord(int fd, int timeoutMs);
// Reads and discards until the peer closes or resets; false on time-out.
bool waitForEnd(int fd, int timeoutMs);
// Writes everything, \a chunk bytes per write() (0: all at once).
bool writeAll(int fd, const QByteArray &data, qsizetype chunk = 0);
// Makes the next close() of \a fd send RST instead of FIN (SO_LINGER with a zero time-out).
void armReset(int fd);

// A TCP socket listening on a loopback address (127.0.0.1 or ::1) with a kernel-chosen port,
// closed when it goes: the test drives the server side byte by byte, with no event loop.
// isListening() is false when it could not listen.
class RawListener
{
public:
    explicit RawListener(const char *host = "127.0.0.1", int backlog = 16);
    ~RawListener();
    Q_DISABLE_COPY(RawListener)

    bool isListening() const { return m_fd >= 0; }
    quint16 port() const { return m_port; }
    int fd() const { return m_fd; }
    // Accepts one connection within \a timeoutMs (acceptWithin()); -1 on failure or time-out.
    int accept(int timeoutMs = 5000) const { return acceptWithin(m_fd, timeoutMs); }

private:
    int m_fd = -1;
    quint16 m_port = 0;
};

// A blocking TCP connection to 127.0.0.1:port (connectLoopback()) owned by a test: closed when it
// goes. isOpen() is false when the connection failed.
class RawConnection
{
public:
    explicit RawConnection(quint16 port);
    ~RawConnection();
    Q_DISABLE_COPY(RawConnection)

    bool isOpen() const { return m_fd >= 0; }
    int fd() const { return m_fd; }
    // Sends one byte (bounded by writeAll()'s wait).
    bool send(char byte);
    // True once the other side has closed the connection (end of file or a reset); never blocks.
    bool closedByPeer() const;

private:
    int m_fd = -1;
};

// --- A thread running a peer's script ---------------------------------------------------------

// Runs \a script on a thread of its own; the destructor joins it. The script must only block in
// bounded waits.
class PeerThread
{
public:
    PeerThread() = default;
    explicit PeerThread(std::function<void()> script);
    ~PeerThread();
    Q_DISABLE_COPY(PeerThread)
    void start(std::function<void()> script);
    void join();
    bool isFinished() const { return m_finished.load(); }

private:
    std::thread m_thread;
    std::atomic<bool> m_finished{false};
};

// A server that accepts one connection on 127.0.0.1 and hands it to a script; the connection is
// closed (FIN, or RST after armReset()) when the script returns.
class HostileServer
{
public:
    explicit HostileServer(std::function<void(int fd)> script);
    ~HostileServer();
    Q_DISABLE_COPY(HostileServer)
    quint16 port() const { return m_port; }
    bool isFinished() const { return m_thread.isFinished(); }
    void join() { m_thread.join(); }

private:
    int m_listener = -1;
    quint16 m_port = 0;
    PeerThread m_thread;
};

// A client that connects to 127.0.0.1:port and hands the connection to a script; closed as above.
class HostileClient
{
public:
    HostileClient(quint16 port, std::function<void(int fd)> script);
    ~HostileClient() = default;
    Q_DISABLE_COPY(HostileClient)
    bool isFinished() const { return m_thread.isFinished(); }
    void join() { m_thread.join(); }

private:
    PeerThread m_thread;
};

} // namespace QtPskTest

#endif // QTPSK_TESTS_RAWPEER_H
