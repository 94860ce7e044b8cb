// expect: nabla: the object kept in a storage block is at most 1 KiB
// storage::allocate_with<Extra> keeps an object of Extra bytes between the block's header and its
// data (a tensor's layout, about 200 bytes); anything over 1 KiB is refused when it is compiled.
// The twin keeps 256 bytes.
#include <nabla/nabla.hpp>

int main() {
    void* mem = nullptr;
#ifdef NABLA_TWIN
    auto s = nabla::storage::allocate_with<256>(64, mem);
#else
    auto s = nabla::storage::allocate_with<2048>(64, mem);
#endif
    (void)s;
}
