package io.callsign.tokens.internal;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A parsed JSON object: immutable, insertion-ordered, two arrays and a linear lookup.
 *
 * <p>Also the cheapest way to build an object to write: {@link #of} takes name/value pairs and
 * leaves out null values, as the official libraries leave out unset grant fields.
 *
 * <p>Token objects have a handful of members, where a scan beats hashing and a {@code
 * LinkedHashMap}'s per-entry nodes dominate the cost of parsing. Duplicate names are detected while
 * building, by scanning for small objects and with a hash set beyond {@link #SCAN_LIMIT} members,
 * so a hostile object with thousands of members stays linear.
 */
public final class JsonObject extends AbstractMap<String, Object> {
  private static final int SCAN_LIMIT = 16;

  /** Names and values interleaved: one allocation per object. */
  private Object[] slots;

  private int size;
  private Set<String> index;

  JsonObject() {
    this(8);
  }

  private JsonObject(int capacity) {
    this.slots = new Object[capacity * 2];
  }

  /** An empty object with room for {@code members} before it grows. */
  public static JsonObject withCapacity(int members) {
    return new JsonObject(Math.max(1, members));
  }

  /**
   * An object of the given name/value pairs, in order, without the pairs whose value is null.
   *
   * @throws IllegalArgumentException if a name repeats
   */
  public static JsonObject of(Object... namesAndValues) {
    JsonObject object = new JsonObject(Math.max(1, namesAndValues.length / 2));
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] != null
          && !object.add((String) namesAndValues[i], namesAndValues[i + 1])) {
        throw new IllegalArgumentException("duplicate member " + namesAndValues[i]);
      }
    }
    return object;
  }

  /** Adds a member unless its value is null; a later value for the same name replaces it. */
  public JsonObject with(String name, Object value) {
    if (value != null) {
      int i = indexOf(name);
      if (i >= 0) {
        slots[2 * i + 1] = value;
      } else {
        add(name, value);
      }
    }
    return this;
  }

  /** Writes the members as JSON without allocating entries. */
  void writeMembers(JsonWriter out) {
    out.ascii('{');
    for (int i = 0; i < size; i++) {
      out.member(i == 0, (String) slots[2 * i], slots[2 * i + 1]);
    }
    out.ascii('}');
  }

  /** Adds a member; returns false, adding nothing, if the name is already present. */
  boolean add(String name, Object value) {
    if (index != null) {
      if (!index.add(name)) {
        return false;
      }
    } else if (indexOf(name) >= 0) {
      return false;
    } else if (size >= SCAN_LIMIT) {
      index = new HashSet<>();
      for (int i = 0; i < size; i++) {
        index.add((String) slots[2 * i]);
      }
      index.add(name);
    }
    if (2 * size == slots.length) {
      slots = Arrays.copyOf(slots, slots.length * 2);
    }
    slots[2 * size] = name;
    slots[2 * size + 1] = value;
    size++;
    return true;
  }

  /** Adds a member whose name the caller knows to be new. */
  void append(String name, Object value) {
    if (2 * size == slots.length) {
      slots = Arrays.copyOf(slots, slots.length * 2);
    }
    slots[2 * size] = name;
    slots[2 * size + 1] = value;
    size++;
    if (index != null) {
      index.add(name);
    }
  }

  private int indexOf(Object name) {
    if (!(name instanceof String key)) {
      return -1;
    }
    // Strings cache their hash, and known names are parsed as the interned literals callers use,
    // so this is one pass of int compares.
    int hash = key.hashCode();
    for (int i = 0; i < size; i++) {
      Object candidate = slots[2 * i];
      if (candidate == key || (candidate.hashCode() == hash && candidate.equals(key))) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public Object get(Object name) {
    int i = indexOf(name);
    return i < 0 ? null : slots[2 * i + 1];
  }

  @Override
  public boolean containsKey(Object name) {
    return indexOf(name) >= 0;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Entry<String, Object>> iterator() {
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < size;
          }

          @Override
          public Entry<String, Object> next() {
            if (next >= size) {
              throw new NoSuchElementException();
            }
            int i = next++;
            return new SimpleImmutableEntry<>((String) slots[2 * i], slots[2 * i + 1]);
          }
        };
      }

      @Override
      public int size() {
        return size;
      }
    };
  }
}
