# Optional CUDA toolkit. LWB_CUDA=AUTO uses /usr/local/cuda (or CUDAToolkit_ROOT) when present,
# ON requires it, OFF never looks. Sets LWB_HAVE_CUDA and enables the CUDA language.
set(LWB_HAVE_CUDA OFF)
if(NOT LWB_CUDA STREQUAL "OFF")
    if(NOT CMAKE_CUDA_COMPILER)
        find_program(LWB_NVCC nvcc HINTS ${CUDAToolkit_ROOT}/bin $ENV{CUDA_HOME}/bin /usr/local/cuda/bin)
        if(LWB_NVCC)
            set(CMAKE_CUDA_COMPILER ${LWB_NVCC})
        endif()
    endif()
    if(CMAKE_CUDA_COMPILER)
        set(CMAKE_CUDA_ARCHITECTURES ${LWB_CUDA_ARCHS})
        set(CMAKE_CUDA_STANDARD 17) # CMake 3.25 does not know nvcc's C++20 flag
        set(CMAKE_CUDA_STANDARD_REQUIRED ON)
        enable_language(CUDA)
        find_package(CUDAToolkit REQUIRED)
        set(LWB_HAVE_CUDA ON)
    elseif(LWB_CUDA STREQUAL "ON")
        message(FATAL_ERROR "LWB_CUDA=ON but no CUDA toolkit was found. Install the CUDA toolkit and set "
                            "CUDAToolkit_ROOT (e.g. -DCUDAToolkit_ROOT=/usr/local/cuda) or CMAKE_CUDA_COMPILER, "
                            "or configure with -DLWB_CUDA=OFF (or AUTO) to build without CUDA.")
    else()
        message(STATUS "CUDA toolkit not found: building without the CUDA backend and CUPTI capture")
    endif()
endif()
