# CMake generated Testfile for 
# Source directory: /work/main/tests/network
# Build directory: /work/main/build/default/tests/network
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
