# Compiler warnings and sanitizers as an interface target every project target links (lwb_options).
add_library(lwb_options INTERFACE)
target_compile_options(lwb_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wno-missing-field-initializers>)
if(LWB_WERROR)
    target_compile_options(lwb_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
endif()
if(LWB_SANITIZE)
    target_compile_options(lwb_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer>)
    target_link_options(lwb_options INTERFACE -fsanitize=address,undefined)
endif()
