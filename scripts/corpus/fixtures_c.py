"""Small C/C++ sources with real compile errors and warnings: (file, source, command with {f})."""

GCC = [
    ("undeclared.c", '''#include <stdio.h>
#include <string.h>

struct conf { const char *host; int port; };

int main(void) {
    struct conf c = { "127.0.0.1", 5432 };
    printf("%s:%d\\n", c.host, c.prot);
    size_t n = strlen(c.host)
    total += n;
    return missing_fn(c);
}
''', "gcc -Wall -c {f}"),
    ("warnings.c", '''#include <stdio.h>
#include <stdlib.h>

static int unused_helper(int x) { return x * 2; }

int parse(const char *s) {
    int value;
    if (s[0] == '-')
        return -atoi(s + 1);
    printf("%d %s\\n", s, value);
}

int main(int argc, char **argv) {
    unsigned int u = -1;
    int i = 0;
    long long big = 1 << 40;
    if (u < i) puts("never");
    char buf[8];
    sprintf(buf, "%s-%d", argv[0], argc);
    return parse(argv[1]);
}
''', "gcc -Wall -Wextra -O2 -c {f}"),
    ("pointers.c", '''#include <stdlib.h>
#include <string.h>

typedef struct node { int v; struct node *next; } node_t;

void push(node_t **head, int v) {
    node_t *n = malloc(sizeof *n);
    n->v = v;
    n->next = head;
    *head = n;
}

int main(void) {
    node_t *h = NULL;
    int *p = "text";
    char *s = 42;
    push(&h, 1);
    push(h, 2);
    double d = strlen;
    return *p + (int)d;
}
''', "gcc -std=c11 -c {f}"),
    ("analyzer.c", '''#include <stdlib.h>
#include <string.h>

char *dup_twice(const char *s, int fail) {
    char *a = malloc(strlen(s) + 1);
    strcpy(a, s);
    if (fail) {
        free(a);
    }
    char *b = strdup(a);
    free(a);
    return b;
}

int leak(int n) {
    int *buf = malloc(n * sizeof(int));
    if (n > 10)
        return -1;
    buf[0] = n;
    int r = buf[0];
    free(buf);
    return r;
}
''', "gcc -fanalyzer -c {f}"),
    ("linker.c", '''#include <stdio.h>

int compute_checksum(const unsigned char *data, int len);
extern int g_verbose;

int main(void) {
    unsigned char d[4] = {1, 2, 3, 4};
    if (g_verbose) puts("checking");
    printf("%d\\n", compute_checksum(d, 4));
    return 0;
}
''', "gcc -o /tmp/kcorpus/gcc/linker {f}"),
    ("templates.cpp", '''#include <map>
#include <string>
#include <vector>
#include <algorithm>

struct Job { std::string name; int prio; };

int main() {
    std::vector<int> ids;
    ids.push_back(std::string("42"));
    std::map<std::string, Job> jobs;
    jobs[1] = Job{"build", 2};
    std::vector<Job> v;
    std::sort(v.begin(), v.end());
    return ids.size();
}
''', "g++ -std=c++17 -c {f}"),
    ("overload.cpp", '''#include <iostream>
#include <memory>
#include <string>

class Conn {
public:
    explicit Conn(const std::string& url) : url_(url) {}
    void send(const std::string& msg, int retries);
    void send(const char* msg, double timeout);
private:
    std::string url_;
};

int main() {
    auto c = std::make_unique<Conn>("pg://127.0.0.1");
    std::unique_ptr<Conn> copy = c;
    c->send(42);
    Conn d;
    std::cout << c->url_ << std::endl;
}
''', "g++ -std=c++17 -Wall -c {f}"),
    ("static_assert.cpp", '''#include <cstdint>
#include <type_traits>

template <typename T>
T clamp_add(T a, T b) {
    static_assert(std::is_unsigned<T>::value, "clamp_add needs an unsigned type");
    T s = a + b;
    return s < a ? static_cast<T>(-1) : s;
}

struct Header { std::uint32_t magic; std::uint16_t version; };
static_assert(sizeof(Header) == 6, "Header must be packed to 6 bytes");

int main() {
    return clamp_add(1, 2) + clamp_add<std::uint8_t>(200, 100);
}
''', "g++ -std=c++17 -c {f}"),
    ("missing_header.c", '''#include <stdio.h>
#include <stdlib.h>

enum mode { MODE_FAST, MODE_SAFE };

static const char *mode_name(enum mode m) {
    switch (m) {
    case MODE_FAST: return "fast";
    }
}

int main(void) {
    printf("%s\\n", mode_name(MODE_SAFE));
    return EXIT_SUCCES;
}

#include "config_generated.h"
''', "gcc -Wall -c {f}"),
    ("struct_init.c", '''#include <stdint.h>

struct endpoint { const char *host; uint16_t port; int tls; };

static struct endpoint eps[2] = {
    { "127.0.0.1", 5432, 0 },
    { .host = "localhost", .prot = 6379 },
    { "extra", 1, 1 },
};

int port_sum(void) {
    int s = 0;
    for (int i = 0; i <= 2; i++) s += eps[i].port;
    struct endpoint e = { "x", 70000, 0, 5 };
    return s + e.port;
}
''', "gcc -Wall -Wextra -Woverflow -c {f}"),
    ("lambdas.cpp", '''#include <functional>
#include <string>
#include <vector>

int main() {
    int total = 0;
    std::vector<std::string> names{"a", "bb"};
    auto add = [](const std::string& s) { total += s.size(); };
    auto f = [=]() { total = 1; };
    std::function<int(int)> g = [](std::string s) { return s.size(); };
    auto h = [&names](int i) -> std::string { return names.at(i) + 1; };
    for (auto& n : names) add(n);
    return total;
}
''', "g++ -std=c++17 -Wall -c {f}"),
    ("format.c", '''#include <stdio.h>
#include <stdint.h>
#include <inttypes.h>

int main(void) {
    uint64_t bytes = 1234567890123ULL;
    size_t n = sizeof bytes;
    long l = 5;
    printf("%d bytes, n=%d, l=%s\\n", bytes, n, l);
    printf("%" PRIu32 "\\n", bytes);
    fprintf(stderr, "%.*s\\n", n, "abc");
    return 0;
}
''', "gcc -Wall -Wformat=2 -c {f}"),
    ("conversion.c", '''#include <math.h>

int scale(double x, short s) {
    int i = x * 1000;
    short t = i;
    unsigned char c = 300;
    float f = M_PI;
    return t + c + s + f;
}
''', "gcc -Wconversion -Wsign-conversion -Wshadow -c {f}"),
    ("syntax.cpp", '''#include <vector>

namespace util {
class Buffer {
public:
    Buffer(int n) : data_(n) {}
    int size() const { return data_.size() }
    int& operator[](int i) { return data_[i]; }
private:
    std::vector<int> data_;
}

int fill(Buffer& b, int v) {
    for (int i = 0; i < b.size(); ++i) b[i] = v;
    return b.size();
}
}
''', "g++ -c {f}"),
    ("constexpr.cpp", '''#include <array>
#include <string_view>

constexpr int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }
constexpr int bad = fact(20);
constexpr std::array<int, 3> arr{1, 2, 3};
constexpr int out_of_range = arr[5];

int main() {
    std::string_view sv = "abc";
    sv.remove_prefix(1);
    const int k = 3;
    k = 4;
    return bad + out_of_range;
}
''', "g++ -std=c++20 -c {f}"),
]
