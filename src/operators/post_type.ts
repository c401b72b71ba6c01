import { z } from 'zod';
import type { ConsolidatedPost } from '../consolidate/post.ts';
import { leaf, type OperatorDefinition } from '../core/operator.ts';

const isReply = (post: ConsolidatedPost) => Boolean(post.record.reply);
const isQuote = (post: ConsolidatedPost) => (post.record.embed as { $type?: unknown } | undefined)?.$type === 'app.bsky.embed.record';

const Args = z.tuple([
  z
    .enum(['in', 'not_in', 'is_in', 'is_not_in', '==', '!='], { error: (issue) => `unknown comparator ${JSON.stringify(issue.input)}: post_type takes in or not_in (or is_in, is_not_in, ==, !=)` })
    .meta({ title: 'comparator', description: 'in (the post is one of these types) or not_in (it is none of them); is_in, is_not_in, == and != are accepted as in Graze.' }),
  z
    .array(z.enum(['reply', 'quote']))
    .min(1)
    .meta({ title: 'types', description: 'reply and/or quote.' }),
]);

/** `post_type [in|not_in, [reply|quote]]`. */
export const post_type: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'post_type',
  description:
    'Whether the post is a reply (it has a `reply` reference) or a quote. As in Graze, a quote is a post whose embed is a plain record embed: a quote with images, a video or a link card attached (`recordWithMedia`) is not a quote here; test those with `embed_type` (`image_group`, `video`) or `attribute_compare ["embed.$type", "==", "app.bsky.embed.recordWithMedia"]`.',
  examples: [
    { args: ['in', ['reply']], means: 'replies' },
    { args: ['not_in', ['reply', 'quote']], means: 'top-level posts that quote nothing' },
  ],
  args: Args,
  cost: 1,
  pure: true,
  compile([comparator, types]) {
    const wantIn = comparator === 'in' || comparator === 'is_in' || comparator === '==';
    const reply = types.includes('reply');
    const quote = types.includes('quote');
    return leaf(
      (post) => {
        const has: string[] = [];
        if (isReply(post)) has.push('reply');
        if (isQuote(post)) has.push('quote');
        return { matched: types.some((t) => has.includes(t)) === wantIn, inputs: { types: has } };
      },
      { decide: (_, post) => ((reply && isReply(post)) || (quote && isQuote(post))) === wantIn },
    );
  },
};
