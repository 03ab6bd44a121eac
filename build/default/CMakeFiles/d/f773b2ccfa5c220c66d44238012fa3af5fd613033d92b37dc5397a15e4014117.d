src/QtPsk_autogen/timestamp: \
  /usr/share/cmake-3.25/Modules/CheckCCompilerFlag.cmake \
  /usr/share/cmake-3.25/Modules/CheckCSourceCompiles.cmake \
  /usr/share/cmake-3.25/Modules/CheckCXXCompilerFlag.cmake \
  /usr/share/cmake-3.25/Modules/GenerateExportHeader.cmake \
  /usr/share/cmake-3.25/Modules/Internal/CheckCompilerFlag.cmake \
  /usr/share/cmake-3.25/Modules/Internal/CheckSourceCompiles.cmake \
  /usr/share/cmake-3.25/Modules/exportheader.cmake.in \
  generated/include/QtPsk/qtpskconfig.h \
  generated/include/QtPsk/qtpskexports.h \
  /work/main/cmake/qtpskconfig.h.in \
  /work/main/include/QtPsk/qsslpresharedkeyauthenticator.h \
  /work/main/include/QtPsk/qtpskglobal.h \
  /work/main/src/CMakeLists.txt \
  /work/main/src/auth/qsslpresharedkeyauthenticator.cpp \
  /work/main/src/auth/qsslpresharedkeyauthenticator_p.h \
  /usr/bin/cmake
