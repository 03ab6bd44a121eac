
#ifndef QTPSK_EXPORT_H
#define QTPSK_EXPORT_H

#ifdef QTPSK_STATIC_DEFINE
#  define QTPSK_EXPORT
#  define QTPSK_NO_EXPORT
#else
#  ifndef QTPSK_EXPORT
#    ifdef QtPsk_EXPORTS
        /* We are building this library */
#      define QTPSK_EXPORT __attribute__((visibility("default")))
#    else
        /* We are using this library */
#      define QTPSK_EXPORT __attribute__((visibility("default")))
#    endif
#  endif

#  ifndef QTPSK_NO_EXPORT
#    define QTPSK_NO_EXPORT __attribute__((visibility("hidden")))
#  endif
#endif

#ifndef QTPSK_DEPRECATED
#  define QTPSK_DEPRECATED __attribute__ ((__deprecated__))
#endif

#ifndef QTPSK_DEPRECATED_EXPORT
#  define QTPSK_DEPRECATED_EXPORT QTPSK_EXPORT QTPSK_DEPRECATED
#endif

#ifndef QTPSK_DEPRECATED_NO_EXPORT
#  define QTPSK_DEPRECATED_NO_EXPORT QTPSK_NO_EXPORT QTPSK_DEPRECATED
#endif

#if 0 /* DEFINE_NO_DEPRECATED */
#  ifndef QTPSK_NO_DEPRECATED
#    define QTPSK_NO_DEPRECATED
#  endif
#endif

#endif /* QTPSK_EXPORT_H */
