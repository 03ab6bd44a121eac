# Additional clean files
cmake_minimum_required(VERSION 3.16)

if("${CONFIG}" STREQUAL "" OR "${CONFIG}" STREQUAL "RelWithDebInfo")
  file(REMOVE_RECURSE
  "src/CMakeFiles/QtPsk_autogen.dir/AutogenUsed.txt"
  "src/CMakeFiles/QtPsk_autogen.dir/ParseCache.txt"
  "src/QtPsk_autogen"
  "tests/auth/CMakeFiles/qsslpresharedkeyauthenticator_test_autogen.dir/AutogenUsed.txt"
  "tests/auth/CMakeFiles/qsslpresharedkeyauthenticator_test_autogen.dir/ParseCache.txt"
  "tests/auth/qsslpresharedkeyauthenticator_test_autogen"
  )
endif()
