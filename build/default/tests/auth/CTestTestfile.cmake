# CMake generated Testfile for 
# Source directory: /work/main/tests/auth
# Build directory: /work/main/build/default/tests/auth
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
include("/work/main/build/default/tests/auth/qsslpresharedkeyauthenticator_test[1]_include.cmake")
