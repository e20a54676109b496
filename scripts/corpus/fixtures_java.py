"""Small Java sources with real javac errors and warnings: (name, {file: source}, javac flags)."""

JAVA = [
    ("symbols", {"Inventory.java": '''import java.util.*;

public class Inventory {
    private final Map<String, Integer> stock = new HashMap<>();

    public void add(String sku, int qty) {
        stock.merge(sku, qty, Integer::sum);
        logger.info("added " + sku);
    }

    public int total() {
        int t = 0;
        for (Integer q : stock.values()) t += q;
        return totl;
    }

    public List<String> skus() {
        return new ArrayLis<>(stock.keySet());
    }

    public static void main(String[] args) {
        Inventory inv = new Inventory();
        inv.add("A-1", 3);
        System.out.println(inv.totalCount());
    }
}
'''}, ""),
    ("types", {"Convert.java": '''import java.util.List;

public class Convert {
    static int parse(String s) {
        return s;
    }
    static String join(List<String> xs) {
        String out = xs.stream().reduce("", (a, b) -> a + "," + b);
        int n = out;
        return n;
    }
    static long size(List<Integer> xs) {
        Integer first = xs.get(0);
        String s = first;
        return xs.size();
    }
}
'''}, ""),
    ("flow", {"Flow.java": '''import java.io.*;

public class Flow {
    static int level(String name) {
        switch (name) {
            case "debug": return 0;
            case "info": return 1;
        }
    }
    static String read(String path) {
        BufferedReader r = new BufferedReader(new FileReader(path));
        return r.readLine();
    }
    static int loop() {
        int x;
        while (true) {
            return 1;
        }
        System.out.println("unreachable");
    }
    static int init(boolean b) {
        int y;
        if (b) y = 2;
        return y;
    }
}
'''}, ""),
    ("lint", {"Legacy.java": '''import java.util.*;

public class Legacy {
    @Deprecated
    static void old() {}

    @SuppressWarnings("unused")
    private int keep;

    static List rawList() {
        List l = new ArrayList();
        l.add("x");
        return l;
    }

    static void use() {
        List<String> typed = rawList();
        old();
        Date d = new Date(2024, 1, 1);
        System.out.println(d.getYear() + typed.size());
        Integer boxed = new Integer(5);
        Object o = (Object) boxed;
    }
}
'''}, "-Xlint:all"),
    ("override", {"Shapes.java": '''interface Shape { double area(); String name(); }

abstract class Base implements Shape {
    public String name() { return getClass().getSimpleName(); }
}

class Circle extends Base {
    double r;
    @Override
    public double area(int scale) { return Math.PI * r * r * scale; }
}

class Square extends Base {
    double s;
    @Override
    public String nam() { return "square"; }
}

public class Shapes {
    public static void main(String[] args) {
        Shape s = new Base();
        System.out.println(s.area());
    }
}
'''}, ""),
    ("static_ctx", {"Counter.java": '''public class Counter {
    private int count;
    private final String label = "c";

    void inc() { count++; }

    public static void main(String[] args) {
        inc();
        count = 5;
        this.inc();
        label = "d";
        final int k = 1;
        k++;
    }
}
'''}, ""),
    ("packages", {"App.java": '''import org.apache.commons.lang3.StringUtils;
import com.example.missing.Helper;
import java.util.Lists;

public class App {
    public static void main(String[] args) {
        System.out.println(StringUtils.capitalize("x") + Helper.version());
    }
}
'''}, ""),
    ("generics", {"Boxes.java": '''import java.util.*;

public class Boxes<T extends Comparable<T>> {
    private final List<T> items = new ArrayList<>();

    void add(T t) { items.add(t); }

    T max() { return Collections.max(items); }

    public static void main(String[] args) {
        Boxes<Object> b = new Boxes<>();
        Boxes<String> s = new Boxes<>();
        s.add(42);
        Map<String, List<Integer>> m = new HashMap<String, ArrayList<Integer>>();
        List<int> prim = new ArrayList<>();
    }
}
'''}, ""),
    ("sealed", {"Events.java": '''public class Events {
    sealed interface Event permits Start, Stop, Tick {}
    record Start(long at) implements Event {}
    record Stop(long at, String reason) implements Event {}
    record Tick(long n) implements Event {}

    static String describe(Event e) {
        return switch (e) {
            case Start s -> "start " + s.at();
            case Stop s -> "stop " + s.reason;
        };
    }

    record Range(int lo, int hi) {
        Range {
            if (lo > hi) throw new IllegalArgumentException();
        }
        void widen() { hi = hi + 1; }
    }
}
'''}, "--release 17"),
    ("filename", {"Mismatch.java": '''public class Different {
    public static void main(String[] args) {
        System.out.println("hi")
        int[] xs = {1, 2, 3;
    }
}
'''}, ""),
    ("lambdas", {"Streams.java": '''import java.util.*;
import java.util.function.*;
import java.util.stream.*;

public class Streams {
    public static void main(String[] args) {
        List<String> names = List.of("ada", "bob");
        int count = 0;
        names.forEach(n -> count++);
        Function<String, Integer> len = s -> s.length() > 2;
        Map<String, Integer> m = names.stream().collect(Collectors.toMap(n -> n));
        Supplier<List<String>> sup = ArrayList::new;
        List<Integer> lens = names.stream().map(String::length).collect(Collectors.toList());
        String joined = lens.stream().collect(Collectors.joining(","));
        Runnable r = () -> { return 1; };
    }
}
'''}, ""),
    ("access", {"Bank.java": '''abstract class Account {
    private long balance;
    protected abstract String kind();
    private void audit() {}
}

class Savings extends Account {
    String kind() { return "savings"; }
    void show() { System.out.println(balance); audit(); }
}

public class Bank {
    public static void main(String[] args) {
        Account a = new Account();
        Savings s = new Savings();
        s.balance = 10;
        s.audit();
        Object o = s;
        Savings t = o;
    }
}
'''}, ""),
    ("exceptions", {"Io.java": '''import java.io.*;
import java.nio.file.*;
import java.util.concurrent.*;

public class Io {
    static byte[] load(Path p) {
        return Files.readAllBytes(p);
    }
    static String call(Callable<String> c) {
        return c.call();
    }
    static void sleep() {
        Thread.sleep(10);
    }
    static void ok() throws IOException {
        try {
            Files.delete(Paths.get("/tmp/none"));
        } catch (FileNotFoundException e) {
        } catch (IOException | UncheckedIOException e) {
            throw e;
        }
    }
}
'''}, ""),
    ("many", {"Report.java": '''import java.util.*;
import java.time.*;

public class Report {
    record Row(String name, int count, LocalDate day) {}

    static List<Row> rows = new ArrayList<>();

    static int sum() {
        int s = 0;
        for (Row r : rows) s += r.count;
        return s.length();
    }

    static String fmt(Row r) {
        return String.format("%s %d", r.name(), r.day().plusDays("1"));
    }

    static Optional<Row> top() {
        return rows.stream().max(Comparator.comparingInt(Row::count)).orElse(null);
    }

    public static void main(String[] args) {
        rows.add(new Row("a", "1", LocalDate.now()));
        var x;
        System.out.println(sum() + fmt(top()));
    }
}
'''}, "-Xdiags:verbose"),
]
