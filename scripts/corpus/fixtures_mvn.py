"""Tiny Maven projects that fail to compile or test: (name, {path: text}, mvn arguments)."""

POM = '''<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example.corpus</groupId>
  <artifactId>{name}</artifactId>
  <version>1.0-SNAPSHOT</version>
  <properties>
    <maven.compiler.release>{release}</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>{deps}
  </dependencies>
  <build><plugins>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.11.0</version>{cargs}</plugin>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.2.5</version></plugin>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
  </plugins></build>
</project>
'''

MAIN = "src/main/java/org/example/corpus/"
TEST = "src/test/java/org/example/corpus/"

CALC = '''package org.example.corpus;

public class Calc {
    public static int add(int a, int b) { return a + b; }
    public static int mean(int[] xs) {
        int s = 0;
        for (int x : xs) s += x;
        return s / (xs.length - 1);
    }
    public static String label(String s) { return s.trim().toUpperCase(); }
}
'''

CALC_TEST = '''package org.example.corpus;

import static org.junit.Assert.*;
import org.junit.Test;

public class CalcTest {
    @Test public void addsSmallNumbers() { assertEquals(4, Calc.add(2, 2)); }
    @Test public void meanOfFour() { assertEquals(2, Calc.mean(new int[] {1, 2, 3, 4})); }
    @Test public void labelTrims() { assertEquals("JOB-7", Calc.label(" job-7 ")); }
    @Test public void labelNull() { assertEquals("", Calc.label(null)); }
    @Test public void meanOfOne() { assertEquals(5, Calc.mean(new int[] {5})); }
    @Test public void arraysEqual() { assertArrayEquals(new int[] {1, 2, 3}, new int[] {1, 2, 4}); }
}
'''

PARAM_TEST = '''package org.example.corpus;

import static org.junit.Assert.assertEquals;
import java.util.Arrays;
import java.util.Collection;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

@RunWith(Parameterized.class)
public class AddParamTest {
    @Parameters(name = "{index}: add({0},{1})={2}")
    public static Collection<Object[]> data() {
        return Arrays.asList(new Object[][] {{1, 1, 2}, {2, 2, 5}, {-1, 1, 0}, {100, 200, 301}});
    }
    private final int a, b, want;
    public AddParamTest(int a, int b, int want) { this.a = a; this.b = b; this.want = want; }
    @Test public void add() { assertEquals(want, Calc.add(a, b)); }
}
'''

BROKEN = '''package org.example.corpus;

import java.util.*;

public class Broken {
    private final Map<String, Integer> counts = new HashMap<>();
    public int get(String k) { return counts.get(k).intValue() + missing; }
    public String name() { return 42; }
    public List<String> keys() { return new ArrayLis<>(counts.keySet()); }
    public void inc(String k) { counts.merge(k, 1, Integer::sum) }
}
'''

DEPRECATED = '''package org.example.corpus;

import java.util.Date;

public class Old {
    @SuppressWarnings("removal")
    public static Integer boxed() { return new Integer(3); }
    public static int year() { return new Date().getYear(); }
    public static String bad() { return Date.now(); }
}
'''

PROJECTS = [
    ("compile-q", {MAIN + "Broken.java": BROKEN}, "-B -q compile", {}),
    ("compile-full", {MAIN + "Broken.java": BROKEN, MAIN + "Calc.java": CALC}, "-B compile", {}),
    ("compile-color", {MAIN + "Broken.java": BROKEN}, "compile", {}),
    ("tests", {MAIN + "Calc.java": CALC, TEST + "CalcTest.java": CALC_TEST}, "-B test", {}),
    ("tests-q", {MAIN + "Calc.java": CALC, TEST + "CalcTest.java": CALC_TEST}, "-B -q test", {}),
    ("params", {MAIN + "Calc.java": CALC, TEST + "AddParamTest.java": PARAM_TEST}, "-B test", {}),
    ("deprecation", {MAIN + "Old.java": DEPRECATED}, "-B compile", {"cargs": "<configuration><compilerArgs><arg>-Xlint:all</arg></compilerArgs><showWarnings>true</showWarnings></configuration>"}),
    ("missing-dep", {MAIN + "Calc.java": CALC}, "-B compile", {"deps": "\n    <dependency><groupId>org.example.corpus</groupId><artifactId>kcorpus-nonexistent-lib</artifactId><version>9.9.9</version></dependency>"}),
    ("bad-pom", {MAIN + "Calc.java": CALC}, "-B compile", {"pom": "<project><modelVersion>4.0.0</modelVersion><groupId>x</groupId>\n  <artifactId>bad</artifactId><version>1</version>\n  <dependencies><dependency><groupId>junit</groupId></dependency>\n</project>\n"}),
    ("bad-phase", {MAIN + "Calc.java": CALC}, "-B compil", {}),
    ("release21", {MAIN + "Calc.java": CALC}, "-B compile", {"release": "21"}),
    ("errors-e", {MAIN + "Broken.java": BROKEN}, "-B -e compile", {}),
    ("one-test", {MAIN + "Calc.java": CALC, TEST + "CalcTest.java": CALC_TEST}, "-B test -Dtest=CalcTest#meanOfFour+labelNull", {}),
]
